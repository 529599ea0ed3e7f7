"""RFC 6455 §5.3 masking: ``unmask`` against a per-byte reference, whole and streamed."""

from __future__ import annotations

import random

import pytest

from wsdebug.codec.mask import unmask

KEY = bytes.fromhex("37 fa 21 3d")
KEYS = [KEY, b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", bytes.fromhex("01 80 7f fe")]
CHUNK = 1 << 18  # mask.py's chunk size: sizes around it cross the big-payload path


def reference(data: bytes, key: bytes, phase: int = 0) -> bytes:
    """RFC 6455 §5.3, literally: j = i MOD 4;
    transformed-octet-i = original-octet-i XOR masking-key-octet-j."""
    return bytes(b ^ key[(phase + i) % 4] for i, b in enumerate(data))


def _data(n: int, seed: int = 0) -> bytes:
    return random.Random(n * 4 + seed).randbytes(n)


def test_rfc_example() -> None:
    assert unmask(b"Hello", KEY) == bytes.fromhex("7f 9f 4d 51 58")
    assert unmask(bytes.fromhex("7f 9f 4d 51 58"), KEY) == b"Hello"


@pytest.mark.parametrize("size", range(21))
@pytest.mark.parametrize("phase", range(4))
@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.hex())
def test_small_sizes(size: int, phase: int, key: bytes) -> None:
    data = _data(size)
    assert unmask(data, key, phase) == reference(data, key, phase)


@pytest.mark.parametrize("size", [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 2, (1 << 20) + 3])
@pytest.mark.parametrize("phase", range(4))
def test_large_sizes(size: int, phase: int) -> None:
    data = _data(size)
    got = unmask(data, KEY, phase)
    assert len(got) == size
    assert got == reference(data, KEY, phase)


def test_result_is_bytes_for_every_input_type() -> None:
    data = _data(CHUNK + 5)
    expected = reference(data, KEY)
    for given in (data, bytearray(data), memoryview(data)):
        got = unmask(given, KEY)
        assert type(got) is bytes and got == expected
    for given in (b"abc", bytearray(b"abc"), memoryview(b"abc")):
        assert unmask(given, KEY) == reference(b"abc", KEY)
    assert unmask(b"", KEY) == b"" and unmask(memoryview(b""), KEY, 3) == b""


def test_leading_zero_bytes_are_kept() -> None:
    """int.from_bytes/to_bytes must not drop zeros at either end."""
    data = bytes(7) + b"\x01" + bytes(9)
    assert unmask(data, b"\0\0\0\0") == data
    assert unmask(unmask(data, KEY), KEY) == data
    assert unmask(KEY * 3, KEY) == bytes(12)


@pytest.mark.parametrize("phase", range(4, 12))
def test_phase_is_taken_modulo_4(phase: int) -> None:
    data = _data(33)
    assert unmask(data, KEY, phase) == reference(data, KEY, phase % 4)


@pytest.mark.parametrize("size", [0, 1, 5, 1000, CHUNK + 7, (1 << 20) + 3])
def test_involution(size: int) -> None:
    data = _data(size)
    assert unmask(unmask(data, KEY), KEY) == data


@pytest.mark.parametrize("seed", range(6))
def test_streaming_with_phase_equals_whole(seed: int) -> None:
    """A payload unmasked in pieces, each starting at the running phase, equals one call."""
    rng = random.Random(seed)
    size = rng.choice([0, 1, 13, 4099, CHUNK + 3, 3 * CHUNK + 1])
    data = _data(size, seed)
    cuts = sorted(rng.randint(0, size) for _ in range(rng.randint(0, 9)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, size], strict=True)]
    out, done = [], 0
    for piece in pieces:
        out.append(unmask(piece, KEY, done % 4))
        done += len(piece)
    assert b"".join(out) == unmask(data, KEY) == reference(data, KEY)


def test_streaming_one_byte_at_a_time() -> None:
    data = _data(37)
    assert b"".join(unmask(data[i : i + 1], KEY, i) for i in range(len(data))) == reference(
        data, KEY
    )


# -- both implementations: the C extension (when built) and the pure-Python fallback ---------


@pytest.mark.parametrize(
    "size", [0, 1, 3, 4, 7, 8, 9, 4095, 4096, 262_143, 262_144, 262_145, (1 << 20) + 3]
)
@pytest.mark.parametrize("phase", [0, 1, 2, 3])
def test_python_fallback_matches_reference_and_c(size: int, phase: int) -> None:
    from wsdebug.codec import mask

    data = bytes((i * 7 + 3) & 0xFF for i in range(min(size, 64))) * (size // 64 + 1)
    data = data[:size]
    key = b"\x37\xfa\x21\x3d"
    expected = mask._unmask_py(data, key, phase)
    if size <= 4096:
        assert expected == bytes(b ^ key[(phase + i) % 4] for i, b in enumerate(data))
    if mask.HAVE_C:
        assert mask.c_unmask(data, key, phase) == expected
        assert mask.c_unmask(memoryview(data), key, phase) == expected


def test_the_whole_codec_works_without_the_c_extension() -> None:
    """WSDEBUG_PURE_PYTHON=1 (or an install without a compiler) takes the fallback path."""
    import subprocess
    import sys

    script = (
        "from wsdebug.codec import mask, FrameParser, encode_frame\n"
        "assert not mask.HAVE_C\n"
        "big = bytes(range(256)) * 4099\n"
        "p = FrameParser(); p.receive_data(bytes.fromhex('818537fa213d7f9f4d5158')"
        " + encode_frame(2, big, mask_key=b'\\x01\\x02\\x03\\x04'))\n"
        "a, b = p.frames()\n"
        "assert a.payload == b'Hello' and b.payload == big\n"
        "print('ok')\n"
    )
    env = {**__import__("os").environ, "WSDEBUG_PURE_PYTHON": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
