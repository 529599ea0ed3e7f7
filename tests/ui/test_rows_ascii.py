"""ui.rows: the summary row's path for printable ASCII text draws what rich draws.

Most frames of a bulk decode carry short printable ASCII text; :func:`summary_row` takes a
shorter path for them.  Every width, length (to the preview's limits and past them) and kind
of frame that path can meet is compared with the rich view, line by line.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.codec.close import build_close_payload
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.ui.rows import Glyphs, summary_row
from wsdebug.ui.views import FrameView

from .test_rows import records, rich_lines

PRINTABLE = string.printable.replace("\n", "").replace("\r", "").replace("\t", "")
PRINTABLE = PRINTABLE.replace("\x0b", "").replace("\x0c", "")


@given(
    text=st.text(alphabet=PRINTABLE, max_size=90),
    opcode=st.sampled_from([0x1, 0x2, 0x9, 0xA, 0x0, 0x8]),
    masked=st.booleans(),
    fin=st.booleans(),
    width=st.integers(8, 130),
    plain=st.booleans(),
    sender=st.sampled_from([Role.CLIENT, Role.SERVER, None]),
    index=st.sampled_from([None, 1, 99_999]),
)
@settings(max_examples=400, deadline=None)
def test_ascii_rows_match_rich(
    text: str,
    opcode: int,
    masked: bool,
    fin: bool,
    width: int,
    plain: bool,
    sender: Role | None,
    index: int | None,
) -> None:
    payload = text.encode()
    if opcode == 0x8:
        payload = build_close_payload(1000, payload[:100])
    data = encode_frame(opcode, payload, fin=fin, mask_key=b"\x01\x02\x03\x04" if masked else None)
    g = Glyphs(width, ascii=plain, plain=plain)
    for rec in records(data, sender):
        expected = rich_lines(FrameView(rec, "summary", index=index, plain=plain), width)
        assert summary_row(rec, g, index=index).split("\n") == expected


def test_edges_of_the_budget() -> None:
    """Texts one cell either side of what fits, at widths from 8 to 100."""
    for width in range(8, 101, 3):
        g = Glyphs(width, ascii=True, plain=True)
        for n in range(0, 70):
            for rec in records(encode_frame(0x1, b"x" * n), Role.SERVER):
                expected = rich_lines(FrameView(rec, "summary", index=3, plain=True), width)
                assert summary_row(rec, g, index=3).split("\n") == expected, (width, n)
