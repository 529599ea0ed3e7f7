"""Malformed frames written raw to ``listen``: strict mode answers with the RFC close code and
closes TCP; ``--lenient`` annotates and carries on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from wsdebug.codec.frames import encode_frame

from .conftest import Events, Listen, RawClient, arun, close_code


def masked(opcode: int, payload: bytes = b"", **kw: Any) -> bytes:
    return encode_frame(opcode, payload, mask=True, **kw)


MAX = 1000  #: --max-size for these tests

CASES = {
    "unmasked client frame": ([encode_frame(0x1, b"hi")], 1002, "UNMASKED_CLIENT_FRAME"),
    "reserved opcode 0x3": ([masked(0x3, b"x")], 1002, "RESERVED_OPCODE"),
    "reserved opcode 0xB": ([masked(0xB)], 1002, "RESERVED_OPCODE"),
    "RSV2 set": ([masked(0x1, b"hi", rsv2=True)], 1002, "RSV_WITHOUT_EXTENSION"),
    "RSV3 set": ([masked(0x2, b"hi", rsv3=True)], 1002, "RSV_WITHOUT_EXTENSION"),
    "RSV1 without deflate": ([masked(0x1, b"hi", rsv1=True)], 1002, "RSV_WITHOUT_EXTENSION"),
    "ping with 126-byte payload": ([masked(0x9, b"p" * 126)], 1002, "CONTROL_TOO_LONG"),
    "ping with FIN=0": ([masked(0x9, b"p", fin=False)], 1002, "CONTROL_FRAGMENTED"),
    "continuation without start": ([masked(0x0, b"orphan")], 1002, "CONTINUATION_WITHOUT_START"),
    "new message inside a fragmented one": (
        [masked(0x1, b"a", fin=False), masked(0x1, b"b")],
        1002,
        "DATA_FRAME_INTERLEAVED",
    ),
    "invalid UTF-8 text": ([masked(0x1, b"ok \xff")], 1007, "INVALID_UTF8"),
    "surrogate in UTF-8 text": ([masked(0x1, b"\xed\xa0\x80")], 1007, "INVALID_UTF8"),
    "close with 1-byte payload": ([masked(0x8, b"\x03")], 1002, "CLOSE_PAYLOAD_ONE_BYTE"),
    "close code 1005": ([masked(0x8, (1005).to_bytes(2, "big"))], 1002, "CLOSE_CODE_INVALID"),
    "close code 999": ([masked(0x8, (999).to_bytes(2, "big"))], 1002, "CLOSE_CODE_INVALID"),
    "close reason not UTF-8": (
        [masked(0x8, (1000).to_bytes(2, "big") + b"\xc0")],
        1007,
        "CLOSE_REASON_UTF8",
    ),
    "message over --max-size": ([masked(0x2, b"B" * (MAX + 1))], 1009, "MESSAGE_TOO_BIG"),
    "fragmented message over --max-size": (
        [masked(0x2, b"B" * 600, fin=False), masked(0x0, b"B" * 600)],
        1009,
        "MESSAGE_TOO_BIG",
    ),
    "non-minimal 16-bit length": ([masked(0x1, b"hi", length_form=16)], 1002, "NON_MINIMAL_LENGTH"),
    "non-minimal 64-bit length": (
        [masked(0x2, b"b" * 200, length_form=64)],
        1002,
        "NON_MINIMAL_LENGTH",
    ),
    "64-bit length with the high bit set": (
        [masked(0x2, b"", length_form=64, length=1 << 63)],
        1002,
        "LENGTH_HIGH_BIT",
    ),
}


async def strict_exchange(frames: list[bytes]) -> tuple[list[Any], int, Events]:
    async with Listen(echo=True, max_message=MAX) as srv:
        raw = await RawClient.connect(srv.port)
        await raw.handshake(srv.port)
        for f in frames:
            raw.send(f)
        got = await raw.read_until_eof()  # fails if the server does not close TCP
        await raw.close()
        return got, await srv.result(), srv.events


@pytest.mark.parametrize(("frames", "code", "rule"), list(CASES.values()), ids=list(CASES))
def test_strict_listen_fails_with_the_rfc_close_code(
    frames: list[bytes], code: int, rule: str
) -> None:
    got, status, ev = arun(strict_exchange(frames))
    assert got, "the server sent nothing before closing TCP"
    assert [f.opcode_name for f in got] == ["CLOSE"], got
    assert close_code(got[0]) == code
    assert not got[0].masked
    fail = ev.one("fail")
    assert fail["code"] == code and fail["problem"]["rule"] == rule
    assert fail["problem"]["close_code"] == code
    close = ev.one("close")
    assert (close["code"], close["initiator"], close["clean"]) == (code, "server", False)
    assert status == 1
    assert ev.of("message", direction="s2c") == []  # nothing was echoed


def test_valid_message_before_a_bad_frame_is_echoed_first() -> None:
    got, status, ev = arun(strict_exchange([masked(0x1, b"fine"), masked(0x3)]))
    assert [(f.opcode_name, f.payload) for f in got][0] == ("TEXT", b"fine")
    assert close_code(got[1]) == 1002 and len(got) == 2
    assert status == 1


def test_invalid_utf8_in_a_fragment_fails_fast() -> None:
    """1007 arrives after the bad fragment, before the final fragment is even sent."""

    async def main() -> tuple[Any, Any, int, Events]:
        async with Listen(echo=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(masked(0x1, "ünicode ".encode(), fin=False))
            raw.send(masked(0x0, b"still \xe2\x82", fin=False))  # a valid prefix of U+20AC so far
            raw.send(masked(0x0, b"\x28 bad", fin=False))  # 0x28 cannot continue it
            first = await raw.read_frame(timeout=5)
            raw.send(masked(0x0, b"the end"))  # the final fragment, too late
            rest = await raw.read_until_eof()
            await raw.close()
            return first, rest, await srv.result(), srv.events

    first, rest, status, ev = arun(main())
    assert first is not None and close_code(first) == 1007
    assert rest == []
    fail = ev.one("fail")
    assert fail["problem"]["rule"] == "INVALID_UTF8"
    bad = [f for f in ev.of("frame", direction="c2s") if f["problems"]]
    assert len(bad) == 1 and bad[0]["opcode_name"] == "CONT" and bad[0]["fin"] is False
    assert status == 1


def test_utf8_split_across_fragments_is_fine() -> None:
    async def main() -> tuple[Any, Any, int]:
        async with Listen(echo=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(masked(0x1, b"price \xe2\x82", fin=False))
            raw.send(masked(0x0, b"\xac"))
            echo = await raw.read_frame()
            raw.send(masked(0x8, (1000).to_bytes(2, "big")))
            rest = await raw.read_until_eof()
            await raw.close()
            return echo, rest, await srv.result()

    echo, rest, status = arun(main())
    assert echo is not None and echo.payload.decode() == "price €"
    assert [close_code(f) for f in rest] == [1000]
    assert status == 0


def test_ping_gets_pong_with_same_payload() -> None:
    async def main() -> tuple[list[Any], int]:
        async with Listen(echo=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(masked(0x9, b"p" * 125))  # the largest legal control payload
            raw.send(masked(0x8, (1000).to_bytes(2, "big") + b"bye"))
            got = await raw.read_until_eof()
            await raw.close()
            return got, await srv.result()

    got, status = arun(main())
    assert [(f.opcode_name, f.payload) for f in got] == [
        ("PONG", b"p" * 125),
        ("CLOSE", b"\x03\xe8"),
    ]
    assert status == 0


def test_empty_close_is_answered_with_empty_close() -> None:
    async def main() -> tuple[list[Any], int, Events]:
        async with Listen(echo=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(masked(0x8))
            got = await raw.read_until_eof()
            await raw.close()
            return got, await srv.result(), srv.events

    got, status, ev = arun(main())
    assert [(f.opcode_name, f.payload) for f in got] == [("CLOSE", b"")]
    assert ev.one("close")["code"] == 1005
    assert status == 0


def test_frames_in_the_handshake_packet_are_not_lost() -> None:
    """A client may send its first frame right behind the request, in the same TCP segment."""

    async def main() -> tuple[list[Any], int]:
        from wsdebug.codec.handshake import build_request

        async with Listen(echo=True, close_timeout=5.0) as srv:
            raw = await RawClient.connect(srv.port)
            request, _ = build_request(f"127.0.0.1:{srv.port}")
            raw.send(request + masked(0x1, b"early") + masked(0x8, (1000).to_bytes(2, "big")))
            head = await raw.read_head()
            assert head.startswith(b"HTTP/1.1 101 ")
            got = await raw.read_until_eof()
            await raw.close()
            return got, await srv.result()

    got, status = arun(main(), timeout=4)  # the server closes TCP at once, not after close_timeout
    assert [(f.opcode_name, f.payload) for f in got] == [("TEXT", b"early"), ("CLOSE", b"\x03\xe8")]
    assert status == 0


def test_truncated_frame_then_eof() -> None:
    async def main() -> tuple[int, Events]:
        async with Listen(echo=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(masked(0x1, b"this frame is cut short")[:10])
            raw.writer.write_eof()
            await raw.read_until_eof()
            await raw.close()
            return await srv.result(), srv.events

    status, ev = arun(main())
    assert status == 1
    close = ev.one("close")
    assert (close["code"], close["clean"]) == (1006, False)
    assert ev.one("fail")["problem"]["rule"] == "TRUNCATED"


# -- --lenient ----------------------------------------------------------------------------------------


def test_lenient_annotates_and_keeps_the_connection() -> None:
    async def main() -> tuple[Any, Any, list[Any], int, Events]:
        async with Listen(echo=True, lenient=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(encode_frame(0x1, b"naked"))  # unmasked: a 1002 in strict mode
            echo1 = await raw.read_frame(timeout=5)
            raw.send(masked(0x1, b"dressed"))
            echo2 = await raw.read_frame(timeout=5)
            raw.send(masked(0x8, (1000).to_bytes(2, "big")))
            rest = await raw.read_until_eof()
            await raw.close()
            return echo1, echo2, rest, await srv.result(), srv.events

    echo1, echo2, rest, status, ev = arun(main())
    assert echo1 is not None and (echo1.opcode_name, echo1.payload) == ("TEXT", b"naked")
    assert echo2 is not None and echo2.payload == b"dressed"
    assert [close_code(f) for f in rest] == [1000]
    frame = ev.of("frame", direction="c2s")[0]
    assert frame["masked"] is False and frame["mask_key"] is None and frame["text"] == "naked"
    assert [p["rule"] for p in frame["problems"]] == ["UNMASKED_CLIENT_FRAME"]
    problem = frame["problems"][0]
    assert problem["close_code"] == 1002 and problem["offset"] == frame["offset"] + 1
    assert problem["rfc"] == "RFC 6455 §5.1"
    assert ev.of("fail") == []
    assert ev.one("close")["code"] == 1000
    assert status == 1  # kept open (--lenient), but a problem was seen


def test_lenient_reserved_opcode_is_annotated() -> None:
    async def main() -> tuple[Any, int, Events]:
        async with Listen(echo=True, lenient=True) as srv:
            raw = await RawClient.connect(srv.port)
            await raw.handshake(srv.port)
            raw.send(masked(0x3, b"?") + masked(0x1, b"after"))
            echo = await raw.read_frame(timeout=5)
            raw.send(masked(0x8, (1000).to_bytes(2, "big")))
            await raw.read_until_eof()
            await raw.close()
            return echo, await srv.result(), srv.events

    echo, status, ev = arun(main())
    assert echo is not None and echo.payload == b"after"
    first = ev.of("frame", direction="c2s")[0]
    assert first["opcode"] == 3 and first["opcode_name"] == "RESERVED-0x3"
    assert [p["rule"] for p in first["problems"]] == ["RESERVED_OPCODE"]
    assert ev.of("fail") == [] and status == 1  # a problem was seen, though not fatal


def test_handshake_slower_than_timeout_is_closed() -> None:
    async def main() -> tuple[bytes, float, Events]:
        async with Listen(echo=True, handshake_timeout=0.5) as srv:
            raw = await RawClient.connect(srv.port)
            loop = asyncio.get_running_loop()
            start = loop.time()
            raw.send(
                b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            )  # and then nothing
            rest = await asyncio.wait_for(raw.reader.read(), 5)
            elapsed = loop.time() - start
            await raw.close()
            return rest, elapsed, srv.events

    rest, elapsed, ev = arun(main())
    assert rest == b""
    assert 0.4 <= elapsed < 3
    errors = ev.of("error")
    assert len(errors) == 1 and "no complete handshake within 0.5 s" in errors[0]["message"]
    assert ev.one("disconnect")["reason"] == "no WebSocket connection"


def test_bad_frame_in_the_handshake_packet_fails_at_once() -> None:
    async def main() -> tuple[list[Any], float, int]:
        from wsdebug.codec.handshake import build_request

        async with Listen(echo=True, close_timeout=5.0) as srv:
            raw = await RawClient.connect(srv.port)
            request, _ = build_request(f"127.0.0.1:{srv.port}")
            loop = asyncio.get_running_loop()
            start = loop.time()
            raw.send(request + encode_frame(0x1, b"unmasked"))
            await raw.read_head()
            got = await raw.read_until_eof()
            elapsed = loop.time() - start
            await raw.close()
            return got, elapsed, await srv.result()

    got, elapsed, status = arun(main())
    assert [close_code(f) for f in got] == [1002]
    assert elapsed < 2, "the server waited for the client instead of closing TCP (RFC 6455 §7.1.1)"
    assert status == 1
