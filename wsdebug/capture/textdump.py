"""Text hex dumps with direction markers, as people paste them into bug reports.

:func:`wsdebug.capture.textinput.parse_directional` does the reading: lines starting with ``>`` or ``c:``
are client to server, ``<`` or ``s:`` server to client, other lines continue the current
block, ``#`` lines are comments, and a Wireshark "Follow TCP Stream" dump is split by its
indentation.  Inside a block every format ``decode`` accepts works (plain hex, ``0x..``,
``\\x..``, xxd, ``hexdump -C``, Wireshark).

Without any direction the whole text is one stream whose sender is guessed from the first
frame's mask bit (masked: the client sent it), and the conversation says so.  A hex dump has
no times: every chunk gets time 0, and the views show no clock.
"""

from __future__ import annotations

from .format import C2S, S2C, CaptureError, Chunk, ConnectionInfo

_DIRS = {"client": C2S, "server": S2C}


def read_hexdump(text: str, name: str) -> tuple[list[ConnectionInfo], list[str]]:
    """One conversation from a (directional) hex dump, and notes about how it was read.

    Raises:
        CaptureError: text that is not hex (with its line and column), or no bytes at all.
    """
    from .textinput import HexInputError, parse_directional

    try:
        segments = parse_directional(text)
    except HexInputError as exc:
        raise CaptureError(
            f"{name}: not a capture wsdebug reads (wsdebug JSONL, pcap, pcapng, HAR or a hex dump): "
            f"{exc}"
        ) from None
    info = ConnectionInfo("1")
    notes = ["a hex dump has no times: frames are numbered in the order of the dump"]
    if any(side is None for side, _ in segments):
        if any(side is not None for side, _ in segments):
            raise CaptureError(
                f"{name}: bytes without a direction marker (>, <, c: or s:) before the first marker"
            )
        data = segments[0][1]
        masked = len(data) > 1 and bool(data[1] & 0x80)
        sender = (
            "client (the first frame is masked)"
            if masked
            else "server (the first frame is not masked)"
        )
        notes.append(f"no direction markers (> < c: s:): all bytes taken as sent by the {sender}")
        segments = [("client" if masked else "server", data) for _, data in segments]
    info.chunks = [
        Chunk(0.0, "1", _DIRS[side], data) for side, data in segments if side is not None
    ]
    return [info], notes
