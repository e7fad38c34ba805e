"""How this package's compiled kernels are built, and why their on-disk cache is kept honest.

The per-step work of a fleet (actuators, tyres, RK4, low-level controller, IDM
and MOBIL) is written as scalar per-vehicle code compiled with numba
(``nopython`` mode only) and looped over vehicles inside the compiled code: a
numpy formulation spends its time in the overhead of hundreds of small array
operations per RK4 stage, not in arithmetic.

Settings, and why:

* ``cache=True``: compiled code is written next to the sources
  (``__pycache__/*.nbi, *.nbc``) so that a new process — a test worker, a
  suite-runner worker — loads it (about 0.3 s of CPU for a fleet step and a
  traffic decision) instead of compiling it (about 10 s of CPU, 4 s before the dynamic step
  integrated vehicles two at a time, :mod:`vehicle_models.tyre_pair`; figures from
  ``bench/vehicle_bench.py --cold``).  ``python -m vehicle_models.warmup``
  fills the cache before parallel workers start.
* ``_nrt=False`` for the kernels (see :func:`kernel`): an underscore option of
  numba (0.68), used by numba's own tests; should a release drop it, the
  decorators here are the one place to change.
* ``error_model="numpy"``: division by zero gives ``inf``/``nan`` as the numpy
  code it replaces did (IDM gaps are ``inf`` for "no leader"), and no
  per-division checks.
* no ``fastmath``: ``inf`` must survive, and results must not depend on
  reassociation.

numba's cache is invalidated only when the file that *defines* a cached
function changes, not when a function it calls from another module does
(numba issue #1833; "Cache invalidation fails to recognize changes in symbols
defined in a different file", numba docs, "Cache notes").  Our kernels call
across modules (the fleet step calls the tyre and the controller), so on
import :func:`_invalidate_stale_caches` hashes every source file of the
package with the numba version and removes this package's numba cache files
(in ``__pycache__``, and under ``NUMBA_CACHE_DIR`` when set) when the hash
differs from the one recorded with them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, TypeVar

import numba

F = TypeVar("F", bound=Callable)

PACKAGE_DIR = Path(__file__).resolve().parent
_STAMP_NAME = "vehicle_models_kernels.sha256"
"""Stamp file: the source digest the cached kernels were compiled from (kept with the cache)."""


def kernel(function: F) -> F:
    """A compiled per-vehicle helper or loop that allocates nothing: built without numba's runtime.

    ``_nrt=False`` switches off numba's reference-counting runtime (NRT).
    These kernels only read and write arrays they are given (scratch space
    included), so they need no reference counts; with them, every call of a
    helper that takes the fleet's tables increments and decrements each
    array's count atomically (numba issue #2345), which costs more than the
    helper's arithmetic (measured here: about 30× the cost of the loop body).
    """
    return numba.njit(cache=True, error_model="numpy", nogil=True, _nrt=False)(function)


def checked_kernel(function: F) -> F:
    """As :func:`kernel`, with index bounds checked (IndexError): for kernels indexed by user input."""
    return numba.njit(cache=True, error_model="numpy", nogil=True, _nrt=False, boundscheck=True)(function)


def array_kernel(function: F) -> F:
    """A compiled numpy-style function that serves scalars (from kernels) and arrays (from Python).

    Array arguments allocate results, which needs numba's runtime; scalar calls
    from kernels involve no arrays, so no reference counting either.
    """
    return numba.njit(cache=True, error_model="numpy", nogil=True)(function)


def source_digest() -> str:
    """Hash of every Python source of the package and of the numba version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_dirs() -> list[Path]:
    """Where numba keeps this package's cache, one directory per source directory (numba's layout):
    under ``NUMBA_CACHE_DIR`` when that is set, else ``__pycache__`` beside the sources."""
    source_dirs = sorted({path.parent for path in PACKAGE_DIR.rglob("*.py")})
    if numba.config.CACHE_DIR:
        try:
            from numba.core.caching import _CacheLocator
            return [Path(numba.config.CACHE_DIR) / _CacheLocator.get_suitable_cache_subpath(str(d / "x.py"))
                    for d in source_dirs]
        except (ImportError, AttributeError):  # numba's layout changed: fall back to in-tree
            pass
    return [d / "__pycache__" for d in source_dirs]


def _invalidate_stale_caches() -> None:
    """Delete this package's numba cache files when any of its sources changed (best effort).

    The stamp (the digest the cache was built from) lives with the cache, in
    the package's own cache directory.
    """
    dirs = _cache_dirs()
    package_cache = next((d for d in dirs if d.name == "__pycache__" and d.parent == PACKAGE_DIR),
                         dirs[0] if dirs else PACKAGE_DIR / "__pycache__")
    stamp = package_cache / _STAMP_NAME
    current = source_digest()
    try:
        if stamp.read_text() == current:
            return
    except OSError:
        pass
    try:
        for cache_dir in dirs:
            for pattern in ("*.nbi", "*.nbc"):
                for path in cache_dir.glob(pattern):
                    path.unlink(missing_ok=True)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        temporary = stamp.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(current)
        temporary.replace(stamp)
    except OSError:
        # A read-only install: numba then caches in the user's cache directory,
        # and the installed sources do not change under it.
        pass


_invalidate_stale_caches()
