"""The sweep's random draws decoded from the generator's raw words (``sensors.lidar_draws``) are numpy's draws.

Every float32 uniform and normal, and the generator's state afterwards, are
compared with numpy's own ``random(n, float32)`` / ``standard_normal(n,
float32)`` calls — over enough normals that the ziggurat's wedges and tail
(the rare paths, with their float64 exp and log1pf) occur thousands of times.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensors.lidar_draws import (
    LAYER_WIDTHS, WordStream, draw_ahead, exceptions, finish, normal_exceptions, normals, stream_for, supported,
)

class _Owner:
    """A sensor stand-in (the draws keep per-sensor state by weak reference)."""


def _uniforms(stream: WordStream, start: int, count: int) -> np.ndarray:
    words = np.concatenate([np.array([stream.first] * stream.head, np.uint32), stream.raw32])[start:start + count]
    return (words >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def _numpy_then_words(seed: int, left_over: bool, uniforms: int, count: int):
    """numpy's draws, and the same generator's words decoded, from the same state."""
    a = np.random.default_rng(seed)
    b = np.random.default_rng(seed)
    if left_over:                               # an odd draw leaves half a raw output in the state
        a.random(3, dtype=np.float32)
        b.random(3, dtype=np.float32)
    want_u = a.random(uniforms, dtype=np.float32)
    want_n = a.standard_normal(count, dtype=np.float32)
    stream = WordStream(b.bit_generator.state, np.random.PCG64(0))
    stream.ensure(uniforms + 1)
    got_u = _uniforms(stream, 0, uniforms)
    got_n = np.empty(count, np.float32)
    made, end = normals(stream.raw32, stream.first, stream.head, uniforms, got_n)
    while made < count:                         # the words run out: more, and on from the normal not made
        stream.ensure(end + 2 * (count - made) + 16)
        more, end = normals(stream.raw32, stream.first, stream.head, end, got_n[made:])
        made += more
    stream.commit(b.bit_generator, end)
    return (want_u, want_n, a.bit_generator.state), (got_u, got_n, b.bit_generator.state)


@pytest.mark.parametrize("left_over", [False, True])
@pytest.mark.parametrize("uniforms, count", [(0, 0), (1, 0), (0, 1), (7, 3), (1000, 999), (90_001, 84_233)])
def test_words_decode_to_numpy_uniforms_normals_and_state(left_over, uniforms, count):
    (want_u, want_n, want_state), (got_u, got_n, got_state) = _numpy_then_words(3, left_over, uniforms, count)
    assert want_u.tobytes() == got_u.tobytes()
    assert want_n.tobytes() == got_n.tobytes()
    assert got_state == want_state


def test_the_rare_paths_are_numpys():
    """Two million normals: some 500 start in the tail layer and 30 000 in a wedge; every bit equal."""
    (_, want, want_state), (_, got, got_state) = _numpy_then_words(11, True, 5, 2_000_000)
    stream = WordStream(np.random.default_rng(11).bit_generator.state, np.random.PCG64(0))
    stream.ensure(2_100_000)
    w = stream.raw32
    rabs, idx = (w >> 9) & 0x7FFFFF, w & 0xFF
    from sensors.lidar_draws import _KI
    assert np.count_nonzero((idx == 0) & (rabs >= _KI[0])) > 300
    assert np.count_nonzero((idx != 0) & (rabs >= _KI[idx])) > 20_000
    assert want.tobytes() == got.tobytes() and got_state == want_state


@pytest.mark.parametrize("start, count", [(0, 200_000), (17, 50_000), (5, 0), (3, 1)])
def test_exceptions_and_inline_values_are_the_decoded_normals(start, count):
    """``normal_exceptions`` plus the inside value of word start + k + shift is every normal ``normals``
    decodes, and ends at the same word; ``Exceptions.at`` gives where a pass from any point begins."""
    stream = WordStream(np.random.default_rng(5).bit_generator.state, np.random.PCG64(0))
    stream.ensure(start + 2 * count + 64)
    want = np.empty(count, np.float32)
    made, end = normals(stream.raw32, stream.first, stream.head, start, want)
    assert made == count
    exc = exceptions(stream, start, count, np.empty(count + 1, np.int64), np.empty(count + 1, np.float32),
                     np.empty(count + 1, np.int64))
    assert exc.end == end
    words = np.concatenate([np.array([stream.first] * stream.head, np.uint32), stream.raw32])
    got = np.empty(count, np.float32)
    shift = np.zeros(count + 1, np.int64)
    np.add.at(shift, exc.ks + 1, exc.extra)
    shift = np.cumsum(shift)[:count]
    w = words[start + np.arange(count) + shift]
    inside = ((w >> 9) & 0x7FFFFF).astype(np.float32) * LAYER_WIDTHS[w & 0xFF]
    got[:] = np.where((w >> 8) & 1, -inside, inside)
    got[exc.ks] = exc.vs
    assert got.tobytes() == want.tobytes()
    for k in (0, count // 3, count - 1):
        if count and k >= 0:
            e, extra = exc.at(k)
            assert e == int(np.sum(exc.ks < k)) and extra == int(exc.extra[exc.ks < k].sum())


def test_exceptions_draw_more_words_when_they_run_out():
    rng = np.random.default_rng(8)
    want = np.random.default_rng(8).standard_normal(30_000, dtype=np.float32)
    stream = stream_for(_Owner(), rng, 100)                  # far fewer words than the normals read
    exc = exceptions(stream, 0, 30_000, np.empty(30_001, np.int64), np.empty(30_001, np.float32),
                     np.empty(30_001, np.int64))
    got = np.empty(30_000, np.float32)
    assert normals(stream.raw32, stream.first, stream.head, 0, got) == (30_000, exc.end)
    assert got.tobytes() == want.tobytes()


def test_normal_exceptions_reports_running_out():
    stream = WordStream(np.random.default_rng(1).bit_generator.state, np.random.PCG64(0))
    stream.ensure(10)
    found, _ = normal_exceptions(stream.raw32, stream.first, stream.head, 0, 50, np.empty(51, np.int64),
                                 np.empty(51, np.float32), np.empty(51, np.int64))
    assert found == -1


def test_words_drawn_ahead_are_used_only_from_the_state_they_start_at():
    """``draw_ahead`` draws from the state at its call; ``stream_for`` takes those words only while the
    generator is still there (someone drawing in between makes it draw afresh), and ``finish`` leaves the
    generator as numpy's draws would."""
    owner = _Owner()
    rng = np.random.default_rng(21)
    ref = np.random.default_rng(21)
    submitted = []

    def submit(fn):
        from concurrent.futures import Future
        f = Future()
        f.set_result(fn())
        submitted.append(f)
        return f

    draw_ahead(owner, rng, submit)                           # no estimate yet: nothing drawn
    assert not submitted
    for interfere in (False, True, False):
        stream = stream_for(owner, rng, 1000)
        got = _uniforms(stream, 0, 1000)
        finish(owner, rng, stream, 1000)
        assert got.tobytes() == ref.random(1000, dtype=np.float32).tobytes()
        assert rng.bit_generator.state == ref.bit_generator.state
        draw_ahead(owner, rng, submit)
        if interfere:
            assert rng.random() == ref.random()              # the words drawn ahead no longer start here
    assert len(submitted) == 3


def test_only_pcg64_generators_are_decoded():
    assert supported(np.random.default_rng(0))
    assert not supported(np.random.Generator(np.random.MT19937(0)))
    assert not supported(object())


@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_raw_outputs_are_numpys_random_raw(seed):
    """The four-chain PCG64 (``pcg64_raw`` through ``WordStream.ensure``, drawn in uneven pieces) gives
    numpy's ``random_raw`` outputs, and its words are the generator's uint32 stream."""
    g = np.random.PCG64(seed)
    stream = WordStream(g.state, np.random.PCG64(0))
    for words in (1, 2, 3, 8, 9, 17, 1000, 200_001):
        stream.ensure(words)
    want = g.random_raw(len(stream.raw32) // 2)
    assert stream.raw32.view(np.uint64).tobytes() == want.tobytes()
    u32 = np.random.Generator(np.random.PCG64(seed)).integers(0, 2 ** 32, 5000, dtype=np.uint32)
    assert stream.raw32[:5000].tobytes() == u32.tobytes()
