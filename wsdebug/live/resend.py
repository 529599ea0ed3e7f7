"""``replay --to URL``: send a capture's client side to a live server, to reproduce a bug.

The connection is the live ``connect`` client (:func:`wsdebug.live.client.open_client`), so the
server's answers are reported exactly as in a live session.  The recorded handshake decides
the offer: the same subprotocols, the same Origin, permessage-deflate if it was offered.
Each recorded client message is sent again through the codec ``Connection`` (fresh mask keys,
compressed if negotiated this time, the same number of fragments); ping and close frames are
sent as such; pongs are left to the connection, which answers the server's pings itself.  A
frame the capture shows as broken is sent as recorded, byte for byte: that is the bug to
reproduce.  Times between frames are kept unless ``fast``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ..capture.format import C2S
from ..capture.session import Conversation
from ..codec.connection import Connection
from ..codec.events import ErrorEvent, InfoEvent
from ..codec.frames import WireFrame, encode_frame
from ..codec.spec import Opcode
from ..codec.stream import FrameRecord, Message

LINGER = 1.0  #: seconds to wait for the server's answers after the last recorded frame
MAX_GAP = 5.0  #: longest pause kept between two recorded frames (a capture may span days)


@dataclass
class Action:
    """One thing the client did, at time ``t`` of the capture."""

    t: float
    what: str  #: for the screen: "message", "ping", "close", "raw"
    run: Callable[[Connection], None]


def _reencoded(frame: WireFrame) -> bytes:
    """A valid recorded frame with a fresh mask key (the bytes of a partial message)."""
    import os

    return encode_frame(
        frame.opcode_raw,
        frame.payload,
        fin=frame.fin,
        rsv1=frame.rsv1,
        rsv2=frame.rsv2,
        rsv3=frame.rsv3,
        mask_key=os.urandom(4),
    )


def _broken(rec: FrameRecord) -> bool:
    return bool(rec.problems) or (rec.message is not None and bool(rec.message.problems))


def _raw(data: bytes) -> Callable[[Connection], None]:
    return lambda c: c.send_raw(data)


def _message(m: Message) -> Callable[[Connection], None]:
    return lambda c: c.send_message(m.opcode, m.payload, fragments=m.frames, compress=m.compressed)


def _ping(payload: bytes) -> Callable[[Connection], None]:
    return lambda c: c.send_ping(payload)


def _close(code: int | None, reason: str) -> Callable[[Connection], None]:
    return lambda c: c.send_close(code, reason)


def client_actions(conv: Conversation) -> tuple[list[Action], int]:
    """What to send, in order, and how many recorded pongs are left to the connection."""
    actions: list[Action] = []
    pending: list[FrameRecord] = []  # valid fragments of a message not complete yet
    pongs = 0
    for ev in conv.frames:
        if ev.direction != C2S:
            continue
        rec, op = ev.record, ev.record.frame.opcode_raw
        if _broken(rec):
            for part in pending:
                data = _reencoded(part.frame)
                actions.append(Action(ev.t, "raw", _raw(data)))
            pending = []
            wire = rec.frame.to_bytes()
            actions.append(Action(ev.t, "raw", _raw(wire)))
        elif op in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            pending.append(rec)
            msg = rec.message
            if msg is not None:
                pending = []
                actions.append(Action(ev.t, "message", _message(msg)))
        elif op == Opcode.PING:
            actions.append(Action(ev.t, "ping", _ping(rec.frame.payload)))
        elif op == Opcode.CLOSE:
            close = rec.close
            code = close.code if close is not None else None
            reason = close.reason or "" if close is not None else ""
            actions.append(Action(ev.t, "close", _close(code, reason)))
        elif op == Opcode.PONG:
            pongs += 1
    return actions, pongs


async def resend(url: str, conv: Conversation, reporter: object, *, fast: bool = False) -> int:
    """Connect to ``url``, play the client side of ``conv``, report everything; the exit status."""
    from .client import ClientOptions, ConnectError, open_client
    from .reporter import Reporter

    assert isinstance(reporter, Reporter)
    req = conv.request
    offered = bool(
        req is not None and req.extensions and "permessage-deflate" in req.extensions.lower()
    )
    opts = ClientOptions(
        deflate=offered if req is not None else conv.deflate is not None,
        subprotocols=req.subprotocols if req is not None else [],
        origin=req.get("Origin") if req is not None else None,
    )
    actions, pongs = client_actions(conv)
    try:
        live = await open_client(url, opts, reporter)
    except ConnectError as exc:
        reporter.emit(ErrorEvent(str(exc)))
        return exc.status
    reporter.emit(
        InfoEvent(
            f"sending the {len(actions)} recorded client actions"
            + (f" ({pongs} recorded pongs left to the connection)" if pongs else "")
            + ("" if not fast else ", without pauses")
        )
    )
    pump = asyncio.create_task(live.pump())
    loop = asyncio.get_running_loop()
    previous = actions[0].t if actions else 0.0
    sent_at = loop.time()
    for i, action in enumerate(actions):
        if not fast:
            gap = min(max(action.t - previous, 0.0), MAX_GAP)
            await asyncio.sleep(max(0.0, gap - (loop.time() - sent_at)))
        previous, sent_at = action.t, loop.time()
        if pump.done() or live.conn is None or (not live.open and action.what != "raw"):
            text = f"the connection is closed: {len(actions) - i} recorded client actions not sent"
            reporter.emit(InfoEvent(text))
            break
        action.run(live.conn)
        live.flush()
        await live.drain()
    try:
        await asyncio.wait_for(asyncio.shield(pump), LINGER if live.open else LINGER * 3)
    except asyncio.TimeoutError:
        if live.open:
            live.send("close", 1000, "")
            await live.drain()
        await pump
    return live.exit_status
