import pytest


@pytest.fixture(scope="session")
def library():
    from scenarios.library.index import load_index

    return load_index()


@pytest.fixture(scope="session")
def one_per_logical(library):
    seen, out = set(), []
    for e in library.entries:
        if e.logical not in seen:
            seen.add(e.logical)
            out.append(e)
    return out
