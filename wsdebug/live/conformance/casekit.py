"""Shared pieces of the case catalogue: opcodes, expectations, payload constants, helpers."""

from __future__ import annotations

from .grading import (
    Case,
    ExpectClose,
    Grade,
)

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
