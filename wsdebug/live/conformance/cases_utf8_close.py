"""Case groups 6 (UTF-8 handling, fail-fast included) and 7 (close handling)."""

from __future__ import annotations

from typing import Any

from .casekit import (
    CLOSE,
    CONT,
    FAIL_1007,
    KOSME,
    KOSME_BAD,
    NS,
    OK,
    PING,
    TEXT,
    _echo_case,
    _msg,
)
from .grading import (
    Case,
    Close,
    CloseAfter,
    ExpectClose,
    Frame,
    FrameData,
    FrameStart,
    KillAfter,
    Message,
    Step,
    Wait,
)
from .payloads import utf8_sequences


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
