"""Wording and per-frame text: an empty close, a missing accept key, ping payloads, and the
final frame of a compressed fragmented message (docs/json-schema.md: ``text`` is what THIS
frame carries)."""

from __future__ import annotations

import io
import zlib

from rich.console import Console

from wsdebug.capture.serialize import event_json
from wsdebug.codec.deflate import Inflater
from wsdebug.codec.events import CloseEvent, FrameEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder
from wsdebug.ui.live_view import RichReporter
from wsdebug.ui.views import FrameView

MESSAGE = "the whole message, compressed and cut in two"


def render(renderable: object, width: int = 120) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def compressed_fragments() -> list[FrameRecord]:
    z = zlib.compressobj(wbits=-15)
    body = z.compress(MESSAGE.encode()) + z.flush(zlib.Z_SYNC_FLUSH)
    assert body.endswith(b"\x00\x00\xff\xff")
    body = body[:-4]
    cut = len(body) // 2
    data = encode_frame(0x1, body[:cut], fin=False, rsv1=True) + encode_frame(0x0, body[cut:])
    return StreamDecoder(Role.SERVER, inflate=Inflater().inflate).receive_data(data)


def test_final_cont_of_a_compressed_message_carries_no_text_of_its_own() -> None:
    first, last = compressed_fragments()
    assert last.message is not None and last.message.text == MESSAGE
    assert last.text is None  # its bytes are compressed: not the message's characters
    doc = event_json(FrameEvent(last, last.direction))  # type: ignore[arg-type]
    assert doc["text"] is None and doc["inflated_hex"] == MESSAGE.encode().hex()
    summary = render(FrameView(last, "summary"))
    assert MESSAGE not in summary  # the message line says it, not the frame
    assert MESSAGE in render(FrameView(last, "bytes"))  # the inflation is explained there


def test_single_compressed_frame_still_shows_its_text() -> None:
    z = zlib.compressobj(wbits=-15)
    body = (z.compress(MESSAGE.encode()) + z.flush(zlib.Z_SYNC_FLUSH))[:-4]
    (rec,) = StreamDecoder(Role.SERVER, inflate=Inflater().inflate).receive_data(
        encode_frame(0x1, body, rsv1=True)
    )
    assert rec.text == MESSAGE and MESSAGE in render(FrameView(rec, "summary"))


def reporter_output(*events: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None, highlight=False)
    rep = RichReporter(console)
    for ev in events:
        rep.emit(ev)  # type: ignore[arg-type]
    rep.close()
    return out.getvalue()


def test_a_valid_empty_close_is_not_called_forbidden() -> None:
    out = reporter_output(CloseEvent(1005, "", Role.SERVER, True, conn="c1", t=0.0))
    assert "1005 no status code (empty close)" in out
    assert "must not be sent" not in out


def test_ping_payloads_follow_one_rule() -> None:
    """Printable UTF-8 is shown as text, anything else as hex, for pings and pongs alike."""
    for opcode in (0x9, 0xA):
        (printable,) = StreamDecoder(Role.SERVER).receive_data(encode_frame(opcode, b"hello"))
        (binary,) = StreamDecoder(Role.SERVER).receive_data(encode_frame(opcode, b"\x00\x01hi"))
        (newline,) = StreamDecoder(Role.SERVER).receive_data(encode_frame(opcode, b"a\nb"))
        assert '"hello"' in render(FrameView(printable, "summary"))
        assert "00 01 68 69" in render(FrameView(binary, "summary"))
        assert "61 0a 62" in render(FrameView(newline, "summary"))
