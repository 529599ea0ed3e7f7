"""``decode`` as a stream: records handed out piece by piece, JSON written from templates.

The stream must give exactly the records of a whole-buffer decode, wherever the bytes are cut,
and ``--json`` must be exactly the serializer's document (templates included); memory must not
grow with the number of frames.
"""

from __future__ import annotations

import gc
import io
import json
from typing import Any

import pytest
from typer.testing import CliRunner

import wsdebug.cli
from wsdebug.capture.frametext import FrameText
from wsdebug.capture.offline import (
    FEED,
    DecodeStream,
    decode_bytes,
    decode_segments,
    write_decode_json,
)
from wsdebug.capture.serialize import decode_document, dumps, frame_json, iter_json
from wsdebug.codec.close import build_close_payload
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import FrameRecord

HOSTILE = '\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b \u2028 {x} {{}} %s \\ "'


def mixed(n: int, *, masked: bool, big: bool = True) -> bytes:
    """``n`` frames of many shapes, most repeated (so templates are made and used)."""
    key = b"\x37\xfa\x21\x3d" if masked else None
    out = []
    for i in range(n):
        kind = i % 12
        if kind in (0, 1, 2):
            out.append(
                encode_frame(
                    0x1, f"msg {i % 7} {HOSTILE if i % 5 == 0 else ''}".encode(), mask_key=key
                )
            )
        elif kind == 3:
            out.append(encode_frame(0x2, bytes(range(i % 5, 40)), mask_key=key))
        elif kind == 4:
            out.append(encode_frame(0x1, "宽字符 é".encode() * (i % 3 + 1), mask_key=key))
        elif kind == 5:
            out.append(encode_frame(0x9, b"ping", mask_key=key))
        elif kind == 6:  # fragmented: two frames, then the message
            out.append(encode_frame(0x1, b"frag", fin=False, mask_key=key))
            out.append(encode_frame(0x0, b"ment", mask_key=key))
        elif kind == 7:
            out.append(encode_frame(0x2, b"z" * 300, mask_key=key))  # 16-bit length form
        elif kind == 8:
            out.append(encode_frame(0x3, b"reserved", mask_key=key))  # a problem
        elif kind == 9:
            out.append(encode_frame(0x1, b"\xff\xfe bad utf-8", mask_key=key))  # a problem
        elif kind == 10:
            out.append(encode_frame(0x1, b"", mask_key=key))
        elif big:
            out.append(encode_frame(0x2, bytes(70_000), mask_key=key))  # >= 64 KiB: pieces
    out.append(encode_frame(0x8, build_close_payload(1000, b"bye"), mask_key=key))
    return b"".join(out)


def expected_json(result: Any) -> str:
    return dumps(decode_document(result.records, result.incomplete, result.problems))


@pytest.mark.parametrize("feed", [1, 7, 4096, 1 << 20])
@pytest.mark.parametrize("masked", [False, True])
def test_stream_records_and_json_are_the_whole_decode(feed: int, masked: bool) -> None:
    data = mixed(240, masked=masked, big=feed > 7) + b"\x81\x7e\x01"  # and a cut frame
    sender = Role.CLIENT if masked else Role.SERVER
    whole = decode_bytes(data, sender=sender)
    stream = DecodeStream([(sender, data)], feed=feed)
    assert stream.collect() == whole
    assert stream.count == len(whole.records)
    assert stream.bad == sum(1 for r in whole.records if r.problems) > 0
    assert stream.incomplete == whole.incomplete and stream.problems == whole.problems
    assert not stream.ok
    out = io.StringIO()
    write_decode_json(DecodeStream([(sender, data)], feed=feed), out)
    assert out.getvalue() == expected_json(whole)


def test_frames_over_a_mebibyte_go_in_whole() -> None:
    big = encode_frame(0x2, bytes(range(256)) * 8192, mask_key=b"abcd")  # 2 MiB
    data = mixed(30, masked=True, big=False) + big + big[:-1000] + big  # and a cut one
    whole = decode_bytes(data, sender=Role.CLIENT)
    for feed in (4096, 1 << 20):
        assert DecodeStream([(Role.CLIENT, data)], feed=feed).collect() == whole
    one = DecodeStream([(Role.CLIENT, big)])
    (batch,) = one.batches()  # one piece: the input itself, not copied
    assert batch[0].frame.payload == bytes(range(256)) * 8192


def test_two_directions_as_a_stream() -> None:
    segments = [
        (Role.CLIENT, mixed(30, masked=True)[:500]),
        (Role.SERVER, mixed(30, masked=False)),
        (Role.CLIENT, mixed(30, masked=True)[500:]),
    ]
    whole = decode_segments(segments)
    assert DecodeStream(segments, feed=100).collect() == whole
    out = io.StringIO()
    write_decode_json(DecodeStream(segments, feed=100), out)
    assert out.getvalue() == expected_json(whole)
    assert {f["direction"] for f in json.loads(out.getvalue())["frames"]} == {"c2s", "s2c"}


def test_templates_write_what_the_serializer_writes() -> None:
    """Frames of one shape that differ in every value a template puts in: offsets, the mask
    key, payload bytes and text with characters a terminal or a format string would act on."""
    frames = []
    for i, c in enumerate('ab{}%\\"\x1b\u202e\x00'):
        body = (c * 3 + HOSTILE).encode()
        frames.append(encode_frame(0x1, body.ljust(60), mask_key=bytes([i, 2, 3, 4])))
    texts = FrameText()
    records = decode_bytes(b"".join(frames)).records
    shown = [texts.text(r) for r in records]
    assert shown[0] is None  # a shape seen once: the usual encoder
    assert all(s is not None for s in shown[1:])  # then its template
    for rec, text in zip(records, shown, strict=True):
        if text is not None:
            assert text == "".join(iter_json(frame_json(rec, lazy=True)))
            assert "\x1b" not in text and "\u202e" not in text


def test_records_are_dropped_as_they_are_written() -> None:
    """20,000 frames through the stream: at each write, only the records of the piece being
    written are alive (the whole-buffer decode holds all of them, about a kilobyte each)."""
    data = b"".join(encode_frame(0x1, f"message number {i % 1000}".encode()) for i in range(20_000))

    class Counting(io.TextIOBase):
        alive: list[int] = []

        def write(self, s: str) -> int:
            self.alive.append(sum(1 for o in gc.get_objects() if isinstance(o, FrameRecord)))
            return len(s)

    gc.collect()
    before = sum(1 for o in gc.get_objects() if isinstance(o, FrameRecord))  # other tests'
    streamed, whole = Counting(), Counting()
    streamed.alive, whole.alive = [], []
    write_decode_json(DecodeStream([(None, data)]), streamed)
    write_decode_json(decode_bytes(data), whole)
    assert len(streamed.alive) > 10  # written in many pieces, not at the end
    assert max(streamed.alive) - before <= FEED // 18  # at most a piece's worth of frames
    assert max(whole.alive) - before >= 20_000  # (the test can tell the two apart)


def test_cli_json_of_many_frames_is_the_serializers_document() -> None:
    data = mixed(120, masked=True)
    out = CliRunner().invoke(
        wsdebug.cli.app, ["decode", "--json", "--from", "client"], input=data.hex()
    )
    assert out.exit_code == 1  # the reserved opcodes and bad UTF-8
    assert out.stdout == expected_json(decode_bytes(data, sender=Role.CLIENT)) + "\n"
