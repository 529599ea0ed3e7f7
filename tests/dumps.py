"""Formatters that print bytes the way real tools do (xxd, hexdump -C, Wireshark), for tests
of the input parser.  Checked by hand against the tools' own output."""

from __future__ import annotations


def _ascii(chunk: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)


def xxd(data: bytes) -> str:
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        groups = " ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
        lines.append(f"{off:08x}: {groups:<39}  {_ascii(chunk)}")
    return "\n".join(lines) + "\n"


def xxd_plain(data: bytes) -> str:  # xxd -p
    return "\n".join(data[i : i + 30].hex() for i in range(0, len(data), 30)) + "\n"


def hexdump_c(data: bytes) -> str:
    lines: list[str] = []
    previous, starred = b"", False
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        if chunk == previous and len(chunk) == 16:
            if not starred:
                lines.append("*")
                starred = True
            continue
        previous, starred = chunk, False
        cells = "".join(f"{b:02x} " + (" " if i == 7 else "") for i, b in enumerate(chunk))
        lines.append(f"{off:08x}  {cells:<49} |{_ascii(chunk)}|")
    lines.append(f"{len(data):08x}")
    return "\n".join(lines) + "\n"


def wireshark_hex_dump(data: bytes) -> str:
    """Wireshark's "Copy > ...as Hex Dump" (3.x and later: one blank run, no gap after byte 8)."""
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        lines.append(f"{off:04x}   {chunk.hex(' '):<47}   {_ascii(chunk)}")
    return "\n".join(lines) + "\n"


def wireshark_hex_dump_old(data: bytes) -> str:
    """Older Wireshark "Copy as Hex Dump": two blanks after the offset and after byte 8."""
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off : off + 16]
        cells = chunk[:8].hex(" ") + ("  " + chunk[8:].hex(" ") if len(chunk) > 8 else "")
        lines.append(f"{off:04x}  {cells:<48}  {_ascii(chunk)}")
    return "\n".join(lines) + "\n"


def follow_tcp_stream(records: list[tuple[bool, bytes]]) -> str:
    """Wireshark "Follow TCP Stream" shown as Hex Dump: server lines indented, offsets per side."""
    lines, positions = [], {False: 0, True: 0}
    for is_server, data in records:
        for off in range(0, len(data), 16):
            chunk = data[off : off + 16]
            cells = "".join(f"{b:02x} " + (" " if i == 7 else "") for i, b in enumerate(chunk))
            text = _ascii(chunk[:8]) + (" " + _ascii(chunk[8:]) if len(chunk) >= 8 else "")
            indent = "    " if is_server else ""
            lines.append(f"{indent}{positions[is_server]:08X}  {cells:<51}{text}")
            positions[is_server] += len(chunk)
    return "\n".join(lines) + "\n"


def c_array(data: bytes) -> str:
    body = ", ".join(f"0x{b:02x}" for b in data)
    return f"unsigned char f_bin[] = {{\n  {body}\n}};\nunsigned int f_bin_len = {len(data)};\n"


# The names tests/test_inputs.py grew up with.
wireshark_copy = wireshark_hex_dump
follow_stream = follow_tcp_stream
