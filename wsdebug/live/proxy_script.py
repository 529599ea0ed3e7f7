"""``wsdebug proxy --script FILE.py``: a hook that rewrites messages (terminated legs).

The script is a Python file defining ``on_message(msg)``; the proxy calls it for every complete
data message, in each direction, with a :class:`ScriptMessage`.  It returns:

* the message (``msg``) to forward it as it is,
* a ``str`` (sent as a TEXT message) or ``bytes`` (a BINARY message) to forward that instead,
* ``None`` to drop the message.

Example::

    def on_message(msg):
        if msg.direction == "c2s" and msg.text == "ping":
            return "pong?"          # rewrite what the client sends
        if msg.direction == "s2c" and msg.data.startswith(b"secret"):
            return None             # the client never sees it
        return msg

With a script each leg is terminated: the proxy frames what it forwards itself (masking what
it sends the server, compressing with its own permessage-deflate context per leg when the two
ends negotiated it, one frame per message), so fragment boundaries are not kept; control frames
(ping, pong, close) are forwarded re-encoded.  The display and the recording still show what
each side really sent.  An exception in the hook is reported and the message forwarded as it
was.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..codec.deflate import PerMessageDeflate
from ..codec.events import ErrorEvent, Event, NoteEvent
from ..codec.frames import encode_frame
from ..codec.spec import Direction, Opcode
from ..codec.stream import FrameRecord


@dataclass
class ScriptMessage:
    direction: str  #: "c2s" (the client sent it) or "s2c" (the server did)
    opcode: int  #: 1 TEXT, 2 BINARY
    data: bytes  #: the application data (inflated)

    @property
    def is_text(self) -> bool:
        return self.opcode == Opcode.TEXT

    @property
    def text(self) -> str | None:
        """The text of a TEXT message (None for binary or invalid UTF-8)."""
        if not self.is_text:
            return None
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError:
            return None


Hook = Callable[[ScriptMessage], Any]


class ScriptError(Exception):
    """The script cannot be used (one line)."""


def load_script(path: str) -> Hook:
    try:
        namespace = runpy.run_path(path, run_name="wsdebug_proxy_script")
    except FileNotFoundError:
        raise ScriptError(f"--script {path}: no such file") from None
    except SyntaxError as exc:
        raise ScriptError(
            f"--script {path}: syntax error on line {exc.lineno}: {exc.msg}"
        ) from None
    except Exception as exc:  # the script's own code failed at import
        raise ScriptError(f"--script {path}: {type(exc).__name__}: {exc}") from None
    hook = namespace.get("on_message")
    if not callable(hook):
        raise ScriptError(f"--script {path}: defines no on_message(msg) function")
    return hook


def apply(hook: Hook, msg: ScriptMessage) -> tuple[int, bytes] | None:
    """(opcode, data) to forward, or None to drop; raises what the hook raises, or
    TypeError for a result that is not a message, str, bytes or None."""
    out = hook(msg)
    if out is None:
        return None
    if isinstance(out, ScriptMessage):
        return out.opcode, bytes(out.data)
    if isinstance(out, str):
        return Opcode.TEXT, out.encode("utf-8")
    if isinstance(out, (bytes, bytearray, memoryview)):
        return Opcode.BINARY, bytes(out)
    raise TypeError(
        f"on_message returned {type(out).__name__}, not the message, str, bytes or None"
    )


def reframe(
    hook: Hook,
    rec: FrameRecord,
    direction: Direction,
    compressor: PerMessageDeflate | None,
    emit: Callable[[Event], None],
    *,
    mask: bool,
    who: str = "--script",
) -> bytes:
    """What the proxy sends for ``rec``: a control frame re-encoded, a complete message passed
    through the hook and sent as one frame (compressed with the leg's own context when
    permessage-deflate is in force), nothing for a fragment (its message goes out whole)."""
    frame = rec.frame
    if frame.opcode_raw >= 8:
        return encode_frame(frame.opcode_raw, frame.payload, mask=mask)
    msg = rec.message
    if msg is None:
        return b""
    try:
        out = apply(hook, ScriptMessage(direction.value, msg.opcode, msg.payload))
    except Exception as exc:  # the user's code: report it, forward the message unchanged
        emit(ErrorEvent(f"{who} on_message failed: {type(exc).__name__}: {exc}"))
        out = (msg.opcode, msg.payload)
    if out is None:
        emit(NoteEvent(f"{who} dropped this {len(msg.payload)}-byte message", direction))
        return b""
    opcode, data = out
    if (opcode, data) != (msg.opcode, msg.payload):
        kind = "TEXT" if opcode == Opcode.TEXT else "BINARY"
        emit(
            NoteEvent(
                f"{who} changed this message: forwarded {len(data)} bytes as {kind}", direction
            )
        )
    if compressor is not None:
        return encode_frame(opcode, compressor.compress(data), rsv1=True, mask=mask)
    return encode_frame(opcode, data, mask=mask)
