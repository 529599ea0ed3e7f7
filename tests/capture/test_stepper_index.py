"""The stepper over an index of checkpoints (capture.lazy): the same events as the whole-file
reader, in any order of access, compressed messages included; not every frame kept."""

from __future__ import annotations

import gc
import io
import random
from pathlib import Path

import pytest

import wsdebug.capture.lazy as lazy
from wsdebug.capture.format import C2S, S2C, CaptureWriter
from wsdebug.capture.replay import open_capture
from wsdebug.capture.serialize import event_json
from wsdebug.codec.deflate import DeflateParams, PerMessageDeflate
from wsdebug.codec.events import Event, FrameEvent
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_request, build_response, parse_request
from wsdebug.ui.stepper import Stepper


def _same(a: Event, b: Event) -> bool:
    if isinstance(a, FrameEvent):
        return isinstance(b, FrameEvent) and event_json(a) == event_json(b)
    return repr(a) == repr(b)


def _deflated_capture(path: Path, n: int) -> None:
    """A connection with permessage-deflate (context takeover: each message compressed
    against the ones before), messages split across chunks, pings between, a bad one."""
    params = DeflateParams()
    client = PerMessageDeflate(params, is_client=True)
    server = PerMessageDeflate(params, is_client=False)
    out = io.StringIO()
    w = CaptureWriter(out, mode="connect", created="2025-12-01T10:00:00Z")
    w.open("c1", role="client", peer="10.0.0.2:80", local="10.0.0.1:5000", t=1.0)
    request = build_request(
        "10.0.0.2", "/", key="dGhlIHNhbXBsZSBub25jZQ==", extensions="permessage-deflate"
    )[0]
    response = build_response(parse_request(request), extensions="permessage-deflate")
    w.data("c1", C2S, request, t=1.0)
    w.data("c1", S2C, response, t=1.0)
    t = 1.0
    for i in range(n):
        t += 0.001
        text = f"message {i} says the same words again and again {i % 7}".encode()
        wire = encode_frame(0x1, client.compress(text), rsv1=True, mask_key=b"kkkk")
        cut = len(wire) // 2
        w.data("c1", C2S, wire[:cut], t=t)
        w.data("c1", C2S, wire[cut:], t=t)
        w.data("c1", S2C, encode_frame(0x1, server.compress(text.upper()), rsv1=True), t=t)
        if i % 10 == 3:
            w.data("c1", S2C, encode_frame(0x9, b"ping"), t=t)
        if i == n // 2:
            w.data("c1", S2C, encode_frame(0x1, b"\xff\xfe", rsv1=False), t=t)  # bad UTF-8
    path.write_text(out.getvalue())


@pytest.mark.parametrize("segment", [1, 7, 64])
def test_lazy_events_are_the_whole_files_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, segment: int
) -> None:
    monkeypatch.setattr(lazy, "SEGMENT", segment)
    monkeypatch.setattr(lazy, "CACHED", 2)
    path = tmp_path / "deflate.jsonl"
    _deflated_capture(path, 120)
    _, (whole,) = open_capture(str(path))
    _, (conv,) = open_capture(str(path), lazy=True)
    assert isinstance(conv.events, lazy.LazyEvents)
    assert len(conv.events) == len(whole.events) > 250
    assert conv.describe() == whole.describe() and conv.problem_count == whole.problem_count
    order = list(range(len(whole.events)))
    random.Random(segment).shuffle(order)
    for i in order + order[::-1]:
        assert _same(conv.events[i], whole.events[i]), i
    messages = [e for e in conv.events if isinstance(e, FrameEvent) and e.record.message]
    assert any(m.record.message.compressed for m in messages)  # type: ignore[union-attr]


def test_the_stepper_does_not_keep_every_frame(tmp_path: Path) -> None:
    """Stepping through 3,000 frames end to end and back: only a few segments of decoded
    frames are alive at any time (the whole-file reader held all 3,000)."""
    path = tmp_path / "many.jsonl"
    _deflated_capture(path, 1500)
    _, convs = open_capture(str(path), lazy=True)
    st = Stepper(convs, detail="summary")
    alive = 0
    st.last()
    while st.previous():
        assert st.current is not None  # what the screen draws: decoded on demand
        if st.cursor % 97 == 0:
            gc.collect()
            alive = max(alive, sum(1 for o in gc.get_objects() if isinstance(o, FrameEvent)))
    assert st.cursor == 0 and st.position() == (0, convs[0].frame_count)
    assert 0 < alive <= lazy.CACHED * (lazy.SEGMENT + 10)
    assert st.jump(3000) and st.current is not None and st.current.number == 3000  # type: ignore[attr-defined]
    assert st.next_problem() and "bad" not in st.message
    assert st.search("MESSAGE 1234 ")
    found = st.current
    assert isinstance(found, FrameEvent) and found.record.text is not None
    assert found.record.text.startswith("message 1234 says") and found.number == 2594
