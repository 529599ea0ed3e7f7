"""The case catalogue: Autobahn|Testsuite numbering, written from RFC 6455 and RFC 7692.

Groups 1-7 probe framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8 and the
closing handshake; 9 limits and performance; 12 and 13 permessage-deflate with different
payloads and different parameters.  Each case is pure data (see :mod:`.grading`); build the
list with :func:`catalogue` and pick cases with :func:`select`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from .grading import (
    Case,
    Close,
    CloseAfter,
    Echo,
    ExpectClose,
    Frame,
    FrameData,
    FrameStart,
    Grade,
    KillAfter,
    Message,
    Step,
    Wait,
)
from .payloads import DEFLATE_DATA, deflate_message, utf8_sequences

OK, NS = Grade.OK, Grade.NON_STRICT
TEXT, BINARY, CLOSE, PING, PONG, CONT = 1, 2, 8, 9, 10, 0
NORMAL = ExpectClose(True, (1000,), True)  #: we close after the echo, the peer answers 1000
FAIL_1002 = ExpectClose(False, (1002,), False)  #: the peer fails the connection (1002 or drop)
FAIL_1007 = ExpectClose(False, (1007,), False, wrong_endpoint_fatal=True)
HELLO = b"Hello, world!"
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # "κόσμε", as in Markus Kuhn's test file
KOSME_BAD = KOSME + b"\xed\xa0\x80" + b"edited"  # a UTF-16 surrogate in the middle

GROUP_NAMES = {
    "1": "Framing",
    "2": "Pings/Pongs",
    "3": "Reserved Bits",
    "4": "Opcodes",
    "5": "Fragmentation",
    "6": "UTF-8 Handling",
    "7": "Close Handling",
    "9": "Limits/Performance",
    "12": "WebSocket Compression (different payloads)",
    "13": "WebSocket Compression (different parameters)",
}


def _msg(payload: bytes, binary: bool = False) -> tuple[object, ...]:
    return ("message", payload, binary)


def _echo_case(
    cid: str, desc: str, exp: str, payload: bytes, *steps: object, binary: bool = False
) -> Case:
    return Case(cid, desc, exp, tuple(steps), {OK: (_msg(payload, binary),)}, NORMAL)  # type: ignore[arg-type]


def _group1() -> list[Case]:
    out = []
    sizes = [0, 125, 126, 127, 128, 65535, 65536, 65536]
    for sub, (kind, op, byte) in enumerate((("text", TEXT, b"*"), ("binary", BINARY, b"\xfe")), 1):
        for i, n in enumerate(sizes, 1):
            chop = 997 if i == 8 else None
            how = ". Sent out data in chops of 997 octets" if chop else ""
            desc = f"Send {kind} message with payload of length {n}{how}."
            exp = f"Receive echo'ed {kind} message (with payload as sent). Clean close with normal code."
            out.append(
                _echo_case(
                    f"1.{sub}.{i}",
                    desc,
                    exp,
                    byte * n,
                    Frame(op, byte * n, chop=chop),
                    KillAfter(10),
                    binary=op == BINARY,
                )
            )
    return out


def _group2() -> list[Case]:
    pong = "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code."
    cases = [
        ("2.1", "Send ping without payload.", b"", None),
        ("2.2", "Send ping with small text payload.", HELLO, None),
        (
            "2.3",
            "Send ping with small binary (non UTF-8) payload.",
            b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff",
            None,
        ),
        ("2.4", "Send ping with binary payload of 125 octets.", b"\xfe" * 125, None),
        (
            "2.6",
            "Send ping with binary payload of 125 octets, send in octet-wise chops.",
            b"\xfe" * 125,
            1,
        ),
    ]
    out = [
        Case(
            cid, d, pong, (Frame(PING, p, chop=c), CloseAfter(2 if c else 1)), {OK: (("pong", p),)}
        )
        for cid, d, p, c in cases
    ]
    out.append(
        Case(
            "2.5",
            "Send ping with binary payload of 126 octets.",
            "Connection is failed immediately (1002/Protocol Error), since control frames are only "
            "allowed to have payload up to and including 125 octets.",
            (Frame(PING, b"\xfe" * 126), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        )
    )
    out.append(
        Case(
            "2.7",
            "Send unsolicited pong without payload. Verify nothing is received. "
            "Clean close with normal code.",
            "Nothing.",
            (Frame(PONG), Close(b"\x03\xe8"), CloseAfter(1)),
            {OK: ()},
        )
    )
    out.append(
        Case(
            "2.8",
            "Send unsolicited pong with payload. Verify nothing is received. "
            "Clean close with normal code.",
            "Nothing.",
            (Frame(PONG, b"unsolicited pong payload"), Close(b"\x03\xe8"), CloseAfter(1)),
            {OK: ()},
        )
    )
    out.append(
        Case(
            "2.9",
            "Send unsolicited pong with payload. Send ping with payload. Verify pong "
            "for ping is received.",
            "Nothing in reply to own Pong, but Pong with payload "
            "echo'ed in reply to Ping. Clean close with normal code.",
            (Frame(PONG, b"unsolicited pong payload"), Frame(PING, b"ping payload"), CloseAfter(1)),
            {OK: (("pong", b"ping payload"),)},
        )
    )
    for cid, chop, how in (("2.10", None, ""), ("2.11", 1, ", sent in octet-wise chops")):
        pays = [f"payload-{i}".encode() for i in range(10)]
        out.append(
            Case(
                cid,
                f"Send 10 Pings with payload{how}.",
                "Pongs for our Pings with all the payloads. Note: this is not required by the "
                "specification, but checked anyway. Clean close with normal code.",
                (*(Frame(PING, p, chop=chop) for p in pays), CloseAfter(3)),
                {OK: tuple(("pong", p) for p in pays)},
            )
        )
    out.sort(key=lambda c: c.sort_key)
    return out


_FAILED_NOW = (
    "Echo for first message is received, but then connection is failed immediately, "
    "since {why}. The Pong is not received."
)


def _then_fail(
    cid: str, desc: str, why: str, bad: Frame, chop: int | None = None, sync: bool = False
) -> Case:
    """Groups 3 and 4: a good text message, a bad frame, a ping."""
    steps = (
        Frame(TEXT, HELLO, chop=chop, sync=sync),
        bad,
        Frame(PING, chop=chop, sync=sync),
        KillAfter(1),
    )
    return Case(
        cid, desc, _FAILED_NOW.format(why=why), steps, {OK: (_msg(HELLO),), NS: ()}, FAIL_1002
    )


def _group3() -> list[Case]:
    why = "RSV must be 0 when no extension defining RSV meaning has been negotiated"
    exp = f"The connection is failed immediately, since {why}."
    return [
        Case(
            "3.1",
            "Send small text message with RSV = 1.",
            exp,
            (Frame(TEXT, HELLO, rsv=1), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        ),
        _then_fail(
            "3.2",
            "Send small text message, then send again with RSV = 2, then send Ping.",
            why,
            Frame(TEXT, HELLO, rsv=2),
        ),
        _then_fail(
            "3.3",
            "Send small text message, then send again with RSV = 3, then send Ping. Octets "
            "are sent in frame-wise chops. Wait for octets to be sent before sending next frame.",
            why,
            Frame(TEXT, HELLO, rsv=3, sync=True),
            sync=True,
        ),
        _then_fail(
            "3.4",
            "Send small text message, then send again with RSV = 4, then send Ping. Octets "
            "are sent in octet-wise chops.",
            why,
            Frame(TEXT, HELLO, rsv=4, chop=1),
            chop=1,
        ),
        Case(
            "3.5",
            "Send small binary message with RSV = 5.",
            exp,
            (Frame(BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        ),
        Case(
            "3.6",
            "Send Ping with RSV = 6.",
            exp,
            (Frame(PING, HELLO, rsv=6), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        ),
        Case(
            "3.7",
            "Send Close with RSV = 7.",
            exp,
            (Frame(CLOSE, rsv=7), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        ),
    ]


def _group4() -> list[Case]:
    out = []
    for sub, kind, base in ((1, "non-control", 3), (2, "control", 11)):
        why = f"a reserved {kind} opcode is used"
        for i in range(5):
            op = base + i
            payload = {1: b"reserved opcode payload", 3: HELLO, 4: HELLO}.get(i, b"")
            with_pl = " with non-empty payload" if payload else ""
            chop = 1 if i == 4 else None
            how = ". Octets are sent in octet-wise chops" if chop else ""
            cid = f"4.{sub}.{i + 1}"
            if i < 2:
                out.append(
                    Case(
                        cid,
                        f"Send frame with reserved {kind} Opcode = {op}{with_pl}.",
                        "The connection is failed immediately.",
                        (Frame(op, payload), KillAfter(1)),
                        {OK: ()},
                        FAIL_1002,
                    )
                )
            else:
                out.append(
                    _then_fail(
                        cid,
                        f"Send small text message, then send frame with reserved "
                        f"{kind} Opcode = {op}{with_pl}, then send Ping{how}.",
                        why,
                        Frame(op, payload, chop=chop),
                        chop=chop,
                    )
                )
    return out


def _group5() -> list[Case]:
    f1, f2 = b"fragment1", b"fragment2"
    fail = "The connection is failed immediately, since {}."
    nothing = "there is no message to continue"
    out = [
        Case(
            "5.1",
            "Send Ping fragmented into 2 fragments.",
            fail.format("control messages MUST NOT be fragmented"),
            (Frame(PING, f1, fin=False), Frame(CONT, f2), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        ),
        Case(
            "5.2",
            "Send Pong fragmented into 2 fragments.",
            fail.format("control messages MUST NOT be fragmented"),
            (Frame(PONG, f1, fin=False), Frame(CONT, f2), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        ),
    ]
    for cid, how, kw in (
        ("5.3", "", {}),
        ("5.4", ", octets are sent in frame-wise chops", {"sync": True}),
        ("5.5", ", octets are sent in octet-wise chops", {"chop": 1}),
    ):
        out.append(
            _echo_case(
                cid,
                f"Send text Message fragmented into 2 fragments{how}.",
                "Message is processed and echo'ed back to us.",
                f1 + f2,
                Frame(TEXT, f1, fin=False, **kw),
                Frame(CONT, f2, **kw),
                CloseAfter(1),
            )
        )
    for cid, how, kw in (
        ("5.6", "", {}),
        ("5.7", ", octets are sent in frame-wise chops", {"sync": True}),
        ("5.8", ", octets are sent in octet-wise chops", {"chop": 1}),
    ):
        steps: tuple[Step, ...] = (
            Frame(TEXT, f1, fin=False, **kw),
            Frame(PING, b"ping payload", **kw),
            Frame(CONT, f2, **kw),
            CloseAfter(1),
        )
        out.append(
            Case(
                cid,
                f"Send text Message fragmented into 2 fragments, one ping with payload "
                f"in-between{how}.",
                "A pong is received, then the message is echo'ed back to us.",
                steps,
                {OK: (("pong", b"ping payload"), _msg(f1 + f2))},
            )
        )
    n = 9
    for fin in (True, False):
        for how, kw in (
            ("sent in one chop", {}),
            ("sent in per-frame chops", {"sync": True}),
            ("sent in octet-wise chops", {"chop": 1}),
        ):
            out.append(
                Case(
                    f"5.{n}",
                    f"Send unfragmented Text Message after Continuation Frame with FIN = "
                    f"{str(fin).lower()}, where there is nothing to continue, {how}.",
                    fail.format(nothing),
                    (
                        Frame(CONT, b"non-continuation payload", fin=fin, **kw),
                        Frame(TEXT, HELLO, **kw),
                        KillAfter(1),
                    ),
                    {OK: ()},
                    FAIL_1002,
                )
            )
            n += 1
    f3, f4 = b"fragment3", b"fragment4"
    out.append(
        Case(
            "5.15",
            "Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = "
            "false where there is nothing to continue, then unfragmented Text Message, all sent in one "
            "chop.",
            fail.format(nothing),
            (
                Frame(TEXT, f1, fin=False),
                Frame(CONT, f2),
                Frame(CONT, f3, fin=False),
                Frame(TEXT, f4),
                KillAfter(1),
            ),
            {OK: (_msg(f1 + f2),), NS: ()},
            FAIL_1002,
        )
    )
    for cid, fin in (("5.16", False), ("5.17", True)):
        steps = (Frame(CONT, f1, fin=fin), Frame(TEXT, f2, fin=False), Frame(CONT, f3)) * 2
        out.append(
            Case(
                cid,
                f"Repeated 2x: Continuation Frame with FIN = {str(fin).lower()} (where there is "
                "nothing to continue), then text Message fragmented into 2 fragments.",
                fail.format(nothing),
                (*steps, KillAfter(1)),
                {OK: ()},
                FAIL_1002,
            )
        )
    out.append(
        Case(
            "5.18",
            "Send text Message fragmented into 2 fragments, with both frame opcodes set to text, "
            "sent in one chop.",
            fail.format("all but the first fragment must be continuation frames"),
            (Frame(TEXT, f1, fin=False), Frame(TEXT, f2), KillAfter(1)),
            {OK: ()},
            FAIL_1002,
        )
    )
    frags = [f"fragment{i}".encode() for i in range(1, 6)]
    pings = [b"pongme 1!", b"pongme 2!"]
    for cid, sync in (("5.19", False), ("5.20", True)):
        steps = (
            Frame(TEXT, frags[0], fin=False, sync=sync),
            Frame(CONT, frags[1], fin=False, sync=sync),
            Frame(PING, pings[0], sync=sync),
            Wait(1),
            Frame(CONT, frags[2], fin=False, sync=sync),
            Frame(CONT, frags[3], fin=False, sync=sync),
            Frame(PING, pings[1], sync=sync),
            Frame(CONT, frags[4], sync=sync),
            CloseAfter(1),
        )
        extra = (
            " All frames are sent with sync (this changes only how the stream is chopped)."
            if sync
            else ""
        )
        out.append(
            Case(
                cid,
                "A fragmented text message is sent in multiple frames. After sending the first "
                "2 frames, a Ping is sent. Then we wait 1 s, send 2 more text fragments, another Ping "
                "and then the final text fragment. Everything is legal." + extra,
                "The peer answers the first Ping before it has received the last fragment, pongs back "
                "the Pings' payloads exactly, and echoes the payload of the fragmented message.",
                steps,
                {OK: (("pong", pings[0]), ("pong", pings[1]), _msg(b"".join(frags)))},
            )
        )
    return out


def _group6() -> list[Case]:
    out = [
        _echo_case(
            "6.1.1",
            "Send text message of length 0.",
            "A message is echoed back to us (with empty payload).",
            b"",
            Frame(TEXT),
            CloseAfter(1),
        ),
        _echo_case(
            "6.1.2",
            "Send fragmented text message, 3 fragments each of length 0.",
            "A message is echoed back to us (with empty payload).",
            b"",
            Frame(TEXT, fin=False),
            Frame(CONT, fin=False),
            Frame(CONT),
            CloseAfter(1),
        ),
        _echo_case(
            "6.1.3",
            "Send fragmented text message, 3 fragments, first and last of length 0, middle "
            "non-empty.",
            "A message is echoed back to us (with payload = payload of middle fragment).",
            b"middle frame payload",
            Frame(TEXT, fin=False),
            Frame(CONT, b"middle frame payload", fin=False),
            Frame(CONT),
            CloseAfter(1),
        ),
    ]
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    a, b = "Hello-µ@ßöä".encode(), "üàá-UTF-8!!".encode()
    echoed = "The message is echo'ed back to us."
    out += [
        _echo_case(
            "6.2.1",
            "Send a valid UTF-8 text message in one fragment.",
            echoed,
            hello,
            Message(TEXT, hello),
            CloseAfter(1),
        ),
        _echo_case(
            "6.2.2",
            "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point "
            "boundary.",
            echoed,
            a + b,
            Frame(TEXT, a, fin=False),
            Frame(CONT, b),
            CloseAfter(1),
        ),
        _echo_case(
            "6.2.3",
            "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames "
            "ending on positions which are not code point ends.",
            echoed,
            hello,
            Message(TEXT, hello, fragment=1),
            CloseAfter(1),
        ),
        _echo_case(
            "6.2.4",
            "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames "
            "ending on positions which are not code point ends.",
            echoed,
            KOSME,
            Message(TEXT, KOSME, fragment=1),
            CloseAfter(1),
        ),
    ]
    bad = "The connection is failed immediately, since the payload is not valid UTF-8."
    out += [
        Case(
            "6.3.1",
            "Send invalid UTF-8 text message unfragmented.",
            bad,
            (Message(TEXT, KOSME_BAD), KillAfter(1)),
            {OK: ()},
            FAIL_1007,
        ),
        Case(
            "6.3.2",
            "Send invalid UTF-8 text message in fragments of 1 octet.",
            bad,
            (Message(TEXT, KOSME_BAD, fragment=1), KillAfter(1)),
            {OK: ()},
            FAIL_1007,
        ),
    ]
    out += _fail_fast()
    for i, (title, seqs) in enumerate(utf8_sequences(), 5):
        for j, (valid, payload) in enumerate(seqs, 1):
            cid = f"6.{i}.{j}"
            what = "valid" if valid else "not valid"
            desc = (
                f"Send a text message with payload which is {what} UTF-8 in one fragment ({title}). "
                f"Payload: 0x{payload.hex()}"
            )
            if valid:
                out.append(
                    _echo_case(cid, desc, echoed, payload, Message(TEXT, payload), KillAfter(0.5))
                )
            else:
                out.append(
                    Case(
                        cid,
                        desc,
                        bad,
                        (Message(TEXT, payload), KillAfter(0.5)),
                        {OK: ()},
                        FAIL_1007,
                    )
                )
    return out


def _fail_fast() -> list[Case]:
    """6.4: invalid UTF-8 must be caught when its first impossible byte arrives (fail fast)."""
    p1, p2, p3 = KOSME, b"\xf4\x90\x80\x80", b"edited"  # 0x110000: past the last code point
    whole = p1 + p2 + p3
    splits = {"6.4.1": (p1, p2, p3), "6.4.2": (whole[:12], whole[12:13], whole[13:])}
    exp = (
        "The first {0} is accepted: the first wait must elapse. The 2nd {0} should be rejected "
        "immediately (fail fast on UTF-8). If the second wait elapses too, the connection must be failed "
        "at least then, since the complete message payload is not valid UTF-8 (NON-STRICT)."
    )
    expected = {OK: (("timeout", "A"),), NS: (("timeout", "A"), ("timeout", "B"))}
    out = []
    for cid, (a, b, c) in splits.items():
        steps: tuple[Step, ...] = (
            Frame(TEXT, a, fin=False),
            Wait(1, "A"),
            Frame(CONT, b, fin=False),
            Wait(1, "B"),
            Frame(CONT, c),
            KillAfter(1),
        )
        out.append(
            Case(
                cid,
                f"Send invalid UTF-8 text message in 3 fragments (frames): PART1 = {a.hex()} "
                f"is valid, then wait, then PART2 = {b.hex()} which makes the sequence invalid, then "
                f"wait, then PART3 = {c.hex()}.",
                exp.format("frame"),
                steps,
                expected,
                FAIL_1007,
            )
        )
    for cid, src in (("6.4.3", "6.4.1"), ("6.4.4", "6.4.2")):
        a, b, c = splits[src]
        steps = (
            FrameStart(TEXT, whole),
            FrameData(len(a)),
            Wait(1, "A"),
            FrameData(len(b)),
            Wait(1, "B"),
            FrameData(len(c)),
            KillAfter(1),
        )
        out.append(
            Case(
                cid,
                f"Same as case {src}, but the message is sent as one frame in 3 chops "
                f"(PART1 = {a.hex()}, PART2 = {b.hex()}, PART3 = {c.hex()}).",
                exp.format("chop"),
                steps,
                expected,
                FAIL_1007,
            )
        )
    return out


def _code(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


def _group7() -> list[Case]:
    normal = "Clean close with normal code."
    c: dict[str, Any] = {"suppress_close": True, "wrong_code_fails": True}
    out = [
        Case(
            "7.1.1",
            "Send a message followed by a close frame.",
            "Echoed message followed by clean close with normal code.",
            (Frame(TEXT, b"Hello World!"), KillAfter(1)),
            {OK: (_msg(b"Hello World!"),)},
            wrong_code_fails=True,
        ),
        Case(
            "7.1.2",
            "Send two close frames.",
            normal + " Second close frame ignored.",
            (Close(_code(1000)), Frame(CLOSE), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.1.3",
            "Send a ping after close message.",
            normal + " No pong for the ping.",
            (Close(_code(1000)), Frame(PING), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.1.4",
            "Send text message after sending a close frame.",
            normal + " Text message ignored.",
            (Close(_code(1000)), Frame(TEXT, b"Hello World!"), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.1.5",
            "Send message fragment1 followed by close then fragment2.",
            normal + " Message ignored.",
            (
                Frame(TEXT, b"fragment1", fin=False),
                Close(_code(1000)),
                Frame(CONT, b"fragment2"),
                KillAfter(1),
            ),
            {OK: ()},
            **c,
        ),
        Case(
            "7.1.6",
            "Send 256K message followed by close then a ping.",
            "Outcome depends on implementation defined close behaviour: the message and the close frame are "
            "sent back to back, and an asynchronous peer may process the close first (then the message comes "
            "back partially or not at all).",
            (
                Frame(TEXT, b"BAsd7&jh23", length=256 * 1024),
                Frame(TEXT, b"Hello World!"),
                Close(_code(1000)),
                Frame(PING),
                KillAfter(1),
            ),
            {OK: (_msg(b"BAsd7&jh23" * 26214 + b"BAsd7&", False), _msg(b"Hello World!")), NS: ()},
            suppress_close=True,
            informational=True,
        ),
        Case(
            "7.3.1",
            "Send a close frame with payload length 0 (no close code, no close reason).",
            normal,
            (Close(b""), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.3.2",
            "Send a close frame with payload length 1.",
            "Clean close with protocol error or drop TCP.",
            (Close(b"a"), KillAfter(1)),
            {OK: ()},
            ExpectClose(True, (1002,), False),
            **c,
        ),
        Case(
            "7.3.3",
            "Send a close frame with payload length 2 (regular close with a code).",
            normal,
            (Close(_code(1000)), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.3.4",
            "Send a close frame with close code and close reason.",
            normal,
            (Close(_code(1000, b"Hello World!")), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.3.5",
            "Send a close frame with close code and close reason of maximum length (123).",
            normal,
            (Close(_code(1000, b"*" * 123)), KillAfter(1)),
            {OK: ()},
            **c,
        ),
        Case(
            "7.3.6",
            "Send a close frame with close code and close reason which is too long (124).",
            "Clean close with protocol error code or dropped TCP connection.",
            (Close(_code(1000, b"*" * 124)), KillAfter(1)),
            {OK: ()},
            ExpectClose(True, (1002,), False),
            **c,
        ),
        Case(
            "7.5.1",
            "Send a close frame with invalid UTF8 payload.",
            "Clean close with protocol error or invalid utf8 code or dropped TCP.",
            (Close(_code(1000, KOSME_BAD)), KillAfter(1)),
            {OK: ()},
            ExpectClose(True, (1002, 1007), False),
            **c,
        ),
    ]
    valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
    for i, code in enumerate(valid, 1):
        out.append(
            Case(
                f"7.7.{i}",
                f"Send close with valid close code {code}.",
                "Clean close with normal or echoed code.",
                (Close(_code(code)), KillAfter(1)),
                {OK: ()},
                ExpectClose(True, (1000, code), True),
                **c,
            )
        )
    invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]
    for i, code in enumerate(invalid, 1):
        out.append(
            Case(
                f"7.9.{i}",
                f"Send close with invalid close code {code}.",
                "Clean close with protocol error code or drop TCP.",
                (Close(_code(code)), KillAfter(1)),
                {OK: ()},
                ExpectClose(True, (1002,), False),
                **c,
            )
        )
    for i, code in enumerate((5000, 65535), 1):
        out.append(
            Case(
                f"7.13.{i}",
                f"Send close with close code {code}.",
                "Actual events are undefined by the specification.",
                (Close(_code(code)), KillAfter(1)),
                {OK: ()},
                ExpectClose(True, (1000, code, 1002), False),
                suppress_close=True,
                informational=True,
            )
        )
    return out


def _repeat(unit: bytes, size: int) -> bytes:
    return (unit * (size // len(unit) + 1))[:size]


def _limits(
    cid: str,
    desc: str,
    binary: bool,
    size: int,
    wait: float,
    *,
    count: int = 1,
    fragment: int | None = None,
    chop: int | None = None,
    unit: bytes = b"",
) -> Case:
    kind = "binary" if binary else "text"
    fill = unit or (b"\xfe" if binary else b"*")
    # Built when the case runs, not with the catalogue (group 9 holds ~140 MiB of payloads).
    echo = Echo(count, binary, lambda _i: _repeat(fill, size), size, fragment, chop, wait)
    return Case(
        cid,
        desc,
        f"Receive echo'ed {kind} message{'s' if count > 1 else ''} (with payload as sent)"
        f" within {wait:g} s.",
        (),
        {},
        NORMAL,
        echo=echo,
    )


def _group9() -> list[Case]:
    out = []
    names = {
        64 << 10: "64k",
        256 << 10: "256k",
        1 << 20: "1M",
        4 << 20: "4M",
        8 << 20: "8M",
        16 << 20: "16M",
    }
    waits = {1: [10, 10, 100, 100, 100, 100], 2: [10, 10, 10, 10, 100, 100]}
    for sub, binary in ((1, False), (2, True)):
        kind = "binary" if binary else "text"
        unit = b"\x00\xfe\x23\xfa\xf0" if binary else b"BAsd7&jh23"
        for i, size in enumerate(names, 1):
            out.append(
                _limits(
                    f"9.{sub}.{i}",
                    f"Send {kind} message with payload of length {names[size]}.",
                    binary,
                    size,
                    waits[sub][i - 1],
                    unit=unit,
                )
            )
    frags = [64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]
    for sub, binary in ((3, False), (4, True)):
        kind = "binary" if binary else "text"
        for i, frag in enumerate(frags, 1):
            out.append(
                _limits(
                    f"9.{sub}.{i}",
                    f"Send fragmented {kind} message with message payload of length "
                    f"4M, sent out in fragments of {frag}.",
                    binary,
                    4 << 20,
                    100,
                    fragment=frag,
                )
            )
    for sub, binary in ((5, False), (6, True)):
        kind = "binary" if binary else "text"
        unit = b"\x00\xfe\x23\xfa\xf0" if binary else b"BAsd7&jh23"
        for i, chop in enumerate((64, 128, 256, 512, 1024, 2048), 1):
            out.append(
                _limits(
                    f"9.{sub}.{i}",
                    f"Send {kind} message with payload of length 1M, sent out in "
                    f"chops of {chop} octets.",
                    binary,
                    1 << 20,
                    1000,
                    chop=chop,
                    unit=unit,
                )
            )
    for sub, binary in ((7, False), (8, True)):
        kind = "binary" if binary else "text"
        for i, (size, wait) in enumerate(
            ((0, 60), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480)), 1
        ):
            out.append(
                _limits(
                    f"9.{sub}.{i}",
                    f"Send 1000 {kind} messages of payload size {size} to measure round trip time.",
                    binary,
                    size,
                    wait,
                    count=1000,
                )
            )
    return out


#: (payload size, wait seconds, auto-fragment size) of each case of groups 12 and 13
DEFLATE_SIZES = [
    (16, 60, 0),
    (64, 60, 0),
    (256, 120, 0),
    (1024, 240, 0),
    (4096, 480, 0),
    (8192, 480, 0),
    (16384, 480, 0),
    (32768, 480, 0),
    (65536, 480, 0),
    (131072, 480, 0),
    (8192, 480, 256),
    (16384, 480, 256),
    (32768, 480, 256),
    (65536, 480, 256),
    (131072, 480, 256),
    (131072, 480, 1024),
    (131072, 480, 4096),
    (131072, 480, 32768),
]
_DEFAULT_OFFER = "permessage-deflate; client_no_context_takeover; client_max_window_bits"
#: group 13's offers: (server_no_context_takeover, server_max_window_bits) per offer, 0 = default
DEFLATE_OFFERS = [
    [(False, 0)],
    [(True, 0)],
    [(False, 9)],
    [(False, 15)],
    [(True, 9)],
    [(True, 15)],
    [(True, 9), (True, 0), (False, 0)],
]


def offer_header(offers: list[tuple[bool, int]]) -> str:
    parts = []
    for no_takeover, bits in offers:
        text = _DEFAULT_OFFER
        if no_takeover:
            text += "; server_no_context_takeover"
        if bits:
            text += f"; server_max_window_bits={bits}"
        parts.append(text)
    return ", ".join(parts)


def _deflate_case(
    cid: str, data: str, size: int, wait: int, frag: int, count: int, offer: str, how: str
) -> Case:
    binary = DEFLATE_DATA[data][1]
    echo = Echo(
        count,
        binary,
        lambda i: deflate_message(data, size, i),
        size,
        frag or None,
        None,
        wait,
        compressed=True,
    )
    return Case(
        cid,
        f"Send {count} compressed messages each of payload size {size}, auto-fragment to {frag} "
        f"octets. {how}",
        f"Receive echo'ed messages (with payload as sent). Timeout case after {wait} secs.",
        (),
        {},
        NORMAL,
        echo=echo,
        deflate_offer=offer,
    )


def _group12(count: int) -> list[Case]:
    out = []
    for j, data in enumerate(DEFLATE_DATA, 1):
        for i, (size, wait, frag) in enumerate(DEFLATE_SIZES, 1):
            out.append(
                _deflate_case(
                    f"12.{j}.{i}",
                    data,
                    size,
                    wait,
                    frag,
                    count,
                    _DEFAULT_OFFER,
                    f"Use the default permessage-deflate offer; payload: {DEFLATE_DATA[data][0]}.",
                )
            )
    return out


def _group13(count: int) -> list[Case]:
    out = []
    for j, offers in enumerate(DEFLATE_OFFERS, 1):
        offer = offer_header(offers)
        for i, (size, wait, frag) in enumerate(DEFLATE_SIZES, 1):
            out.append(
                _deflate_case(
                    f"13.{j}.{i}",
                    "json",
                    size,
                    wait,
                    frag,
                    count,
                    offer,
                    f"Offer (server_no_context_takeover, server_max_window_bits): {offers}.",
                )
            )
    return out


def catalogue(deflate_count: int = 1000) -> list[Case]:
    """Every case, in Autobahn's order; ``deflate_count`` messages per group 12/13 case."""
    out = (
        _group1()
        + _group2()
        + _group3()
        + _group4()
        + _group5()
        + _group6()
        + _group7()
        + _group9()
    )
    return out + _group12(deflate_count) + _group13(deflate_count)


def _matches(case_id: str, patterns: Iterable[str]) -> bool:
    """``1.*`` and ``7.9`` match whole groups; ``5.1.*`` also matches case 5.1 itself."""
    for pat in patterns:
        bare = pat[:-2] if pat.endswith(".*") else pat
        if fnmatch.fnmatchcase(case_id, pat) or case_id == bare or case_id.startswith(bare + "."):
            return True
    return False


def select(
    cases: list[Case], include: Iterable[str] = (), exclude: Iterable[str] = ()
) -> list[Case]:
    """Cases whose id matches one of ``include`` (all when empty) and none of ``exclude``.
    Patterns: ``1.*``, ``5.1*``, ``6.4.3`` or a group prefix such as ``7.9``."""
    inc = [p.strip() for p in include if p.strip()]
    exc = [p.strip() for p in exclude if p.strip()]
    return [c for c in cases if (not inc or _matches(c.id, inc)) and not _matches(c.id, exc)]
