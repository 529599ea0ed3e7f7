"""Strict to the last case: ``listen`` fails a connection with 1007 as soon as an invalid UTF-8
byte of a text frame arrives, while the rest of that frame is still in flight (Autobahn
6.4.3/6.4.4)."""

from __future__ import annotations

from typing import Any

from wsdebug.codec.frames import encode_frame

from .conftest import Events, Listen, RawClient, arun, close_code

KOSME = "κόσμε".encode()


def test_1007_before_the_frame_ends() -> None:
    payload = KOSME + b"\xf4\x90\x80\x80" + b"edited"
    frame = encode_frame(0x1, payload, mask=True)
    cut = 6 + len(KOSME) + 4  # header, the valid text, the invalid sequence: not "edited"

    async def main() -> tuple[Any, list[Any], int, Events]:
        async with Listen(echo=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port, extensions=None)
            raw.send(frame[:cut])
            first = await raw.read_frame(timeout=5)  # fails (timeout) if the server waits
            raw.send(frame[cut:])  # the end of the frame, too late
            rest = await raw.read_until_eof()
            await raw.close()
            return first, rest, await srv.result(), srv.events

    first, rest, status, ev = arun(main())
    assert first is not None and close_code(first) == 1007
    assert rest == []
    fail = ev.one("fail")
    assert fail["problem"]["rule"] == "INVALID_UTF8"
    assert fail["problem"]["offset"] == 6 + len(KOSME) + 1
    assert status == 1
