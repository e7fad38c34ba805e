"""The sweep's random draws decoded from the generator's raw words (``sensors.lidar_draws``) are numpy's draws.

Every float32 uniform and normal, and the generator's state afterwards, are
compared with numpy's own ``random(n, float32)`` / ``standard_normal(n,
float32)`` calls — over enough normals that the ziggurat's wedges and tail
(the rare paths, with their float64 exp and log1pf) occur thousands of times.
"""

from __future__ import annotations

import numpy as np
import pytest

from sensors.lidar_draw_ahead import decode, draw_ahead, finish, normal_end, stream_for
from sensors.lidar_draws import MARK, WordStream, normals, skip_normals, supported

_NO_MARKS = np.zeros(0, np.int64)

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
    made, end = normals(stream.raw32, stream.first, stream.head, uniforms, got_n, _NO_MARKS)
    while made < count:                         # the words run out: more, and on from the normal not made
        stream.ensure(end + 2 * (count - made) + 16)
        more, end = normals(stream.raw32, stream.first, stream.head, end, got_n[made:], _NO_MARKS)
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
def test_the_end_of_any_prefix_of_normals(start, count):
    """``normal_end`` from ``decode``'s marks gives, for any k, the word after the first k normals — the word
    ``normals`` ends at when it decodes exactly k — also past the words first drawn."""
    rng = np.random.default_rng(5)
    stream = WordStream(rng.bit_generator.state, np.random.PCG64(0))
    stream.ensure(start + count // 2)                           # the words run out half way
    out = np.empty(count, np.float32)
    marks = np.empty(count // MARK + 1, np.int64)
    made, first_end, last = decode(stream, start, out, marks)
    assert made < count or count <= 1
    want = np.empty(count, np.float32)
    assert normals(stream.raw32, stream.first, stream.head, start, want, _NO_MARKS) == (count, last)
    assert want.tobytes() == out.tobytes()
    for k in sorted({0, 1, count // 3, made, count - 1, count} & set(range(count + 1))):
        exact = normals(stream.raw32, stream.first, stream.head, start, np.empty(k, np.float32), _NO_MARKS)[1]
        assert normal_end(stream, start, marks, made, first_end, k) == exact
        assert skip_normals(stream.raw32, stream.first, stream.head, start, k) == exact


def test_decoding_draws_more_words_when_they_run_out():
    rng = np.random.default_rng(8)
    want = np.random.default_rng(8).standard_normal(30_000, dtype=np.float32)
    stream = stream_for(_Owner(), rng, 100)                  # far fewer words than the normals read
    got = np.empty(30_000, np.float32)
    made, _, last = decode(stream, 0, got)
    assert made <= 100 and got.tobytes() == want.tobytes()
    stream.commit(rng.bit_generator, last)
    ref = np.random.default_rng(8)
    ref.standard_normal(30_000, dtype=np.float32)
    assert rng.bit_generator.state == ref.bit_generator.state


def test_normals_report_running_out():
    stream = WordStream(np.random.default_rng(1).bit_generator.state, np.random.PCG64(0))
    stream.ensure(10)
    made, w = normals(stream.raw32, stream.first, stream.head, 0, np.empty(50, np.float32), _NO_MARKS)
    assert made < 50 and w <= stream.available
    assert skip_normals(stream.raw32, stream.first, stream.head, 0, 50) == -1


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
    """``WordStream.ensure``, drawn in uneven pieces, gives
    numpy's ``random_raw`` outputs, and its words are the generator's uint32 stream."""
    g = np.random.PCG64(seed)
    stream = WordStream(g.state, np.random.PCG64(0))
    for words in (1, 2, 3, 8, 9, 17, 1000, 200_001):
        stream.ensure(words)
    want = g.random_raw(len(stream.raw32) // 2)
    assert stream.raw32.view(np.uint64).tobytes() == want.tobytes()
    u32 = np.random.Generator(np.random.PCG64(seed)).integers(0, 2 ** 32, 5000, dtype=np.uint32)
    assert stream.raw32[:5000].tobytes() == u32.tobytes()
