"""codec.stream: the batch path for runs of whole, valid messages decodes as the general path.

:meth:`StreamDecoder._whole_messages` cuts runs of single-frame TEXT/BINARY messages out of
the parser's buffer in one loop.  Here the same bytes, split the same way, go to a decoder
with that path and to one without it (the general path only), and every record, problem and
piece of state must be the same, whatever the frames around the run, the sender, the size
limit and the early UTF-8 check.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.codec.close import build_close_payload
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder


class GeneralOnly(StreamDecoder):
    """The decoder without its batch path."""

    def _whole_messages(self, buf: bytes, start: int = 0) -> list[FrameRecord]:
        if not start:  # fed anew (with start, buf is the parser's own: nothing to do)
            self.parser.receive_data(buf)  # the parser takes it all
        return []


KEY = b"\x9e\x37\x79\xb1"


@st.composite
def frames(draw: Any) -> bytes:
    """Mostly what the batch path takes, with every way of not being it."""
    kind = draw(
        st.sampled_from(
            ["text"] * 6
            + ["binary"] * 3
            + ["bad-utf8", "cut-utf8", "fragments", "close", "ping", "rsv1", "rsv2", "long"]
            + ["non-minimal", "form64", "unmasked", "masked", "reserved", "empty", "cont"]
        )
    )
    masked = draw(st.booleans())
    key = KEY if masked else None
    text = draw(st.text(max_size=40)).encode()
    if kind == "text":
        return encode_frame(0x1, text, mask_key=key)
    if kind == "binary":
        return encode_frame(0x2, draw(st.binary(max_size=300)), mask_key=key)
    if kind == "bad-utf8":
        return encode_frame(0x1, text + b"\xff" + text, mask_key=key)
    if kind == "cut-utf8":
        return encode_frame(0x1, text + "é".encode()[:1], mask_key=key)
    if kind == "fragments":
        return encode_frame(0x1, text[:3], fin=False, mask_key=key) + encode_frame(
            0x0, text[3:], mask_key=key
        )
    if kind == "close":
        return encode_frame(0x8, build_close_payload(1000, "bye"), mask_key=key)
    if kind == "ping":
        return encode_frame(0x9, text[:20], mask_key=key)
    if kind == "rsv1":
        return encode_frame(0x1, text, rsv1=True, mask_key=key)
    if kind == "rsv2":
        return encode_frame(0x2, text, rsv2=True, mask_key=key)
    if kind == "long":  # the 16-bit form, minimal
        return encode_frame(0x1, b"x" * draw(st.integers(126, 5000)), mask_key=key)
    if kind == "non-minimal":
        return encode_frame(0x1, text, length_form=16, mask_key=key)
    if kind == "form64":
        return encode_frame(0x2, text, length_form=64, mask_key=key)
    if kind == "unmasked":
        return encode_frame(0x1, text)
    if kind == "masked":
        return encode_frame(0x1, text, mask_key=KEY)
    if kind == "reserved":
        return encode_frame(0x3, text, mask_key=key)
    if kind == "empty":
        return encode_frame(draw(st.sampled_from([0x1, 0x2])), b"", mask_key=key)
    return encode_frame(0x0, text, mask_key=key)  # a continuation with nothing to continue


def _state(dec: StreamDecoder) -> tuple[object, ...]:
    return (
        dec.parser.offset,
        dec.parser.buffered,
        dec.incomplete(),
        dec.closed_at,
        dec.early_problem,
        dec.oversized,
        dec.stream_problems(),
    )


@given(
    parts=st.lists(frames(), max_size=30),
    cuts=st.lists(st.integers(0, 4000), max_size=8),
    sender=st.sampled_from([Role.CLIENT, Role.SERVER, None]),
    max_message=st.sampled_from([None, 0, 10, 200, 1000]),
    early_utf8=st.booleans(),
    offset=st.sampled_from([0, 1234]),
    garbage=st.binary(max_size=3),
)
@settings(max_examples=400, deadline=None)
def test_batch_path_is_the_general_path(
    parts: list[bytes],
    cuts: list[int],
    sender: Role | None,
    max_message: int | None,
    early_utf8: bool,
    offset: int,
    garbage: bytes,
) -> None:
    data = b"".join(parts) + garbage
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    kw: dict[str, Any] = {"max_message": max_message, "offset": offset, "early_utf8": early_utf8}
    fast, general = StreamDecoder(sender, **kw), GeneralOnly(sender, **kw)
    for a, b in zip(bounds, bounds[1:], strict=False):
        chunk = data[a:b]
        assert fast.receive_data(chunk) == general.receive_data(chunk)
        assert _state(fast) == _state(general)
    assert fast.receive_eof() == general.receive_eof()
    assert _state(fast) == _state(general)


def test_a_run_of_whole_messages_takes_the_batch_path() -> None:
    """The common case really is cut by the batch path, and the rest by the parser."""
    data = b"".join(encode_frame(0x1, f"m{i}".encode(), mask_key=KEY) for i in range(50))
    data += encode_frame(0x1, b"x" * 300, mask_key=KEY)
    data += encode_frame(0x8, build_close_payload(1000, ""), mask_key=KEY)
    dec = StreamDecoder(Role.CLIENT)
    seen: list[int] = []
    batch = dec._whole_messages

    def spy(buf: bytes, start: int = 0) -> list[FrameRecord]:
        out = batch(buf, start)
        seen.append(len(out))
        return out

    dec._whole_messages = spy  # type: ignore[method-assign]
    records = dec.receive_data(data)
    assert seen == [51]
    assert [r.text for r in records[:50]] == [f"m{i}" for i in range(50)]
    assert records[50].message is not None and records[50].message.text == "x" * 300
    assert records[51].close is not None and records[51].close.code == 1000
    assert all(r.ok for r in records)
    assert records == GeneralOnly(Role.CLIENT).receive_data(data)


def test_after_a_frame_cut_between_reads_the_batch_path_takes_the_rest() -> None:
    """A read rarely ends at a frame's end: the frame it completes is cut by the parser, and
    the whole messages after it by the batch path again, not one by one."""
    data = b"".join(encode_frame(0x2, bytes([i]) * 100, mask_key=KEY) for i in range(40))
    dec = StreamDecoder(Role.CLIENT)
    seen: list[tuple[int, int]] = []
    batch = dec._whole_messages

    def spy(buf: bytes, start: int = 0) -> list[FrameRecord]:
        out = batch(buf, start)
        seen.append((start, len(out)))
        return out

    dec._whole_messages = spy  # type: ignore[method-assign]
    cut = 106 * 3 + 50  # in the fourth frame
    records = dec.receive_data(data[:cut]) + dec.receive_data(data[cut:])
    assert seen == [(0, 3), (106, 36)]  # after the fourth frame (joined: 106 bytes), 36 frames
    assert [r.frame.payload[0] for r in records] == list(range(40))
    assert records == GeneralOnly(Role.CLIENT).receive_data(data)
