"""capture.streaming: a JSONL capture read a block at a time gives the lines a split gives.

The reader takes a block without a carriage return apart with ``bytes.splitlines`` and any
other block with a split at ``\\n``; both must give exactly the lines (ends kept) of one split
of the whole input, whatever the block size and however the first bytes were read.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.capture import streaming


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    cut = lines.pop()
    return [line + b"\n" for line in lines] + ([cut] if cut else [])


@given(
    data=st.lists(
        st.sampled_from([b"a", b"{}", b"\n", b"\r", b"\r\n", b"\x0b", b"\x0c", b"\x1c", b"\x85"]),
        max_size=60,
    ).map(b"".join),
    head=st.integers(0, 60),
    block=st.integers(1, 9),
)
@settings(max_examples=300, deadline=None)
def test_block_lines_are_the_lines_of_one_split(data: bytes, head: int, block: int) -> None:
    head = min(head, len(data))
    saved, streaming._BLOCK = streaming._BLOCK, block
    try:
        got = list(streaming._block_lines(io.BytesIO(data[head:]), data[:head], 1 << 20, "x"))
    finally:
        streaming._BLOCK = saved
    assert got == _lines(data)
