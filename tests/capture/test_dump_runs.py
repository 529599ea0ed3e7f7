"""Large dumps read column by column (capture/hexdumps.py) give the same bytes and errors."""

from __future__ import annotations

import random

import pytest

from tests.dumps import hexdump_c, wireshark_hex_dump, xxd
from wsdebug.capture.hexdumps import _RUN_BLOCK, _parse_dump_fast
from wsdebug.capture.textinput import HexInputError, parse_bytes

DATA = random.Random(10).randbytes((_RUN_BLOCK + 300) * 16 + 5)  # two blocks and a short line


@pytest.mark.parametrize("dump", [xxd, hexdump_c, wireshark_hex_dump])
def test_large_dump_is_read_whole_and_fast(dump: object) -> None:
    text = dump(DATA)  # type: ignore[operator]
    assert _parse_dump_fast(text) == DATA  # the column path, not the line-by-line reader
    assert parse_bytes(text) == DATA


def test_a_line_lost_in_the_second_block_is_named() -> None:
    lines = xxd(DATA).split("\n")
    del lines[_RUN_BLOCK + 100]
    with pytest.raises(
        HexInputError, match=rf"^line {_RUN_BLOCK + 101}, column 1: offset .*lines lost"
    ):
        parse_bytes("\n".join(lines))


def test_a_bad_digit_deep_in_a_run_is_placed_exactly() -> None:
    lines = xxd(DATA).split("\n")
    row = _RUN_BLOCK + 7
    lines[row] = lines[row][:15] + "g" + lines[row][16:]
    with pytest.raises(HexInputError, match=rf"^line {row + 1}, column 16: 'g' is not a hex digit"):
        parse_bytes("\n".join(lines))
