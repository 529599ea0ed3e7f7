"""Case groups 9 (limits and performance), 12 and 13 (permessage-deflate payloads and parameters)."""

from __future__ import annotations

from .casekit import (
    NORMAL,
)
from .grading import (
    Case,
    Echo,
)
from .payloads import DEFLATE_DATA, deflate_message


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
