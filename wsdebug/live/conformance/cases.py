"""The case catalogue: Autobahn|Testsuite numbering, written from RFC 6455 and RFC 7692.

Groups 1-7 probe framing, ping/pong, reserved bits, opcodes, fragmentation, UTF-8 and the
closing handshake; 9 limits and performance; 12 and 13 permessage-deflate with different
payloads and different parameters.  Each case is pure data (see :mod:`.grading`); build the
list with :func:`catalogue` and pick cases with :func:`select`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from .casekit import (
    BINARY,
    CLOSE,
    CONT,
    FAIL_1002,
    GROUP_NAMES,
    HELLO,
    NS,
    OK,
    PING,
    PONG,
    TEXT,
    _echo_case,
    _msg,
)
from .cases_bulk import DEFLATE_OFFERS, DEFLATE_SIZES, _group9, _group12, _group13, offer_header
from .cases_utf8_close import _group6, _group7
from .grading import (
    Case,
    Close,
    CloseAfter,
    Frame,
    KillAfter,
    Step,
    Wait,
)

__all__ = ["DEFLATE_OFFERS", "DEFLATE_SIZES", "GROUP_NAMES", "catalogue", "offer_header", "select"]


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
