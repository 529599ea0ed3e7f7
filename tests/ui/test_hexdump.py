"""ui.hexdump: layout, per-field spans in both columns, elision of long data."""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text

from wsdebug.ui.hexdump import hexdump

HEX_START = 10  # "00000000  "
ASCII_START = 10 + 49 + 2  # offset, 16 hex pairs with the group gap, two spaces


def _styled(text: Text, style: str) -> str:
    """The characters of ``text`` covered by spans of ``style``."""
    return "".join(text.plain[s.start : s.end] for s in text.spans if s.style == style)


def test_layout() -> None:
    text = hexdump(b"Hello, \x00\x1b\xff world!!", base_offset=0x20)
    assert text.plain.splitlines() == [
        "00000020  48 65 6c 6c 6f 2c 20 00  1b ff 20 77 6f 72 6c 64  |Hello, ... world|",
        "00000030  21 21                                             |!!|",
    ]


def test_spans_cover_hex_and_ascii_columns() -> None:
    data = bytes(range(0x41, 0x41 + 20))  # "ABCDEFGHIJKLMNOPQRST"
    text = hexdump(data, spans=[(2, 4, "red"), (7, 10, "blue")], offset_style=None)
    assert _styled(text, "red") == "43 44" + "CD"
    # A span crossing the group gap keeps the gap inside it.
    assert _styled(text, "blue") == "48  49 4a" + "HIJ"
    # A span crossing a line boundary is styled on both lines.
    text = hexdump(data, spans=[(15, 17, "green")], offset_style=None)
    assert _styled(text, "green") == "50" + "P" + "51" + "Q"


def test_spans_render_as_ansi_around_the_right_pair() -> None:
    console = Console(file=io.StringIO(), width=100, color_system="truecolor", force_terminal=True)
    console.print(hexdump(b"\x81\x85\x37\xfa", spans=[(2, 4, "bold #ff0000")], offset_style=None))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    red = "\x1b[1;38;2;255;0;0m"
    assert red + "37 fa" + "\x1b[0m" in out
    assert red + "7." + "\x1b[0m" in out  # 0x37 is '7', 0xfa is not printable
    assert "81 85 " + red in out


def test_long_data_is_elided() -> None:
    data = bytes(64 << 20)
    text = hexdump(data, max_bytes=4096)
    lines = text.plain.splitlines()
    assert len(lines) == 4096 // 16 + 1 + 2
    assert lines[256] == f"… {(64 << 20) - 4096 - 32:,} more bytes not shown"
    assert lines[-1].startswith("03fffff0")
    assert lines[-2].startswith("03ffffe0")


def test_short_tail_and_no_limit() -> None:
    data = bytes(1000)
    assert len(hexdump(data, max_bytes=None).plain.splitlines()) == 63
    lines = hexdump(data, max_bytes=160).plain.splitlines()
    assert lines[10] == "… 816 more bytes not shown"  # 1000 - 160 - 24 (a full and a short line)
    assert lines[-1].startswith("000003e0  00 00 00 00 00 00 00 00")
    assert hexdump(data, max_bytes=160, ascii_only=True).plain.splitlines()[10].startswith("...")


def test_lazy_source_is_only_sliced() -> None:
    class Source:
        asked: list[slice] = []

        def __len__(self) -> int:
            return 10**12

        def __getitem__(self, index: slice) -> bytes:
            self.asked.append(index)
            start, stop, _ = index.indices(len(self))
            return bytes(stop - start)

    text = hexdump(Source(), max_bytes=64)
    assert "more bytes not shown" in text.plain
    assert sum(s.stop - s.start for s in Source.asked) == 64 + 32
