"""ui.rows: the summary row's per-shape layout cache gives the general path's characters.

:func:`summary_row` works out, once per shape of row (the head's length, a clock or not, the
opcode, FIN, the length and its form, the mask key, what the text wants, the width), which
metadata stays and what the text's budget is.  Each row it draws that way is compared with
the general path (``rows._summary_row``) and, at every width, with what rich draws.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.ui import rows
from wsdebug.ui.rows import Glyphs, summary_row
from wsdebug.ui.views import FrameView

from .test_rows import records, rich_lines

PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "
T = 1764583200.0


@given(
    text=st.text(alphabet=PRINTABLE, max_size=120),
    opcode=st.sampled_from([0x1, 0x2, 0x0, 0x9]),
    masked=st.booleans(),
    fin=st.booleans(),
    form=st.sampled_from([None, 16, 64]),
    width=st.integers(1, 160),
    plain=st.booleans(),
    sender=st.sampled_from([Role.CLIENT, Role.SERVER, None]),
    index=st.sampled_from([None, 1, 12345, 10**9]),
    timestamp=st.sampled_from([None, T, T + 0.0005, T + 86399.9996]),
)
@settings(max_examples=600, deadline=None)
def test_shaped_rows_are_the_general_rows(
    text: str,
    opcode: int,
    masked: bool,
    fin: bool,
    form: int | None,
    width: int,
    plain: bool,
    sender: Role | None,
    index: int | None,
    timestamp: float | None,
) -> None:
    data = encode_frame(
        opcode,
        text.encode(),
        fin=fin,
        mask_key=b"\x9e\x37\x79\xb1" if masked else None,
        length_form=form,  # 16 or 64 for a short text: a problem, the general path
    )
    g = Glyphs(width, ascii=plain, plain=plain)
    for rec in records(data, sender):
        for _ in range(2):  # the shape computed, then taken from the cache
            got = summary_row(rec, g, index=index, timestamp=timestamp)
            assert got == rows._summary_row(rec, g, index, timestamp)


def test_every_width_and_length_against_rich() -> None:
    """Masked and unmasked text with a clock, one cell either side of every budget."""
    for width in range(20, 131, 7):
        for plain in (True, False):
            g = Glyphs(width, ascii=plain, plain=plain)
            for n in (1, 2, 5, 13, 40, 59, 60, 61, 62, 63, 100):
                for key, sender in ((b"\x01\x02\x03\x04", Role.CLIENT), (None, Role.SERVER)):
                    data = encode_frame(0x1, b"y" * n, mask_key=key)
                    for rec in records(data, sender):
                        view = FrameView(
                            rec, "summary", index=99_999, timestamp=T + 0.25, plain=plain
                        )
                        expected = rich_lines(view, width)
                        got = summary_row(rec, g, index=99_999, timestamp=T + 0.25)
                        assert got.split("\n") == expected, (width, plain, n, key)


def test_every_width_and_length_against_the_general_path() -> None:
    """Each text length up to past the preview's limit at each width: the cached shape's row
    is the general path's, with and without a clock, an index and a mask key."""
    for plain in (True, False):
        for key, sender in ((b"\x01\x02\x03\x04", Role.CLIENT), (None, Role.SERVER)):
            recs = [
                records(encode_frame(0x1, b"z" * n, mask_key=key), sender)[0] for n in range(68)
            ]
            for width in range(1, 141):
                g = Glyphs(width, ascii=plain, plain=plain)
                for rec in recs:
                    for index, t in ((None, None), (123_456, T)):
                        got = summary_row(rec, g, index=index, timestamp=t)
                        assert got == rows._summary_row(rec, g, index, t), (width, rec.frame)
