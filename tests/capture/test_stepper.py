"""The replay stepper: the pure cursor/filter/search logic, then the real prompt-toolkit app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from wsdebug.capture.importers import load
from wsdebug.capture.session import ReplayFrame
from wsdebug.codec.spec import Opcode
from wsdebug.ui.replay import ReplayApp
from wsdebug.ui.stepper import Stepper, label, parse_opcode

from .conftest import CAPTURES


def stepper(name: str = "fragmented-ping.jsonl", **kw: object) -> Stepper:
    return Stepper(load(CAPTURES / name).conversations(), **kw)  # type: ignore[arg-type]


def frame_no(st: Stepper) -> int | None:
    ev = st.current
    return ev.number if isinstance(ev, ReplayFrame) else None


def test_next_previous_first_last() -> None:
    st = stepper()
    assert label(st.current) == "REQ"  # type: ignore[arg-type]
    assert st.next() and label(st.current) == "101"  # type: ignore[arg-type]
    assert st.next() and frame_no(st) == 1
    assert st.previous() and st.previous() and not st.previous()
    assert st.message == "first event"
    st.last()
    assert frame_no(st) == 8 and not st.next() and st.message == "last event"
    st.first()
    assert st.cursor == 0
    assert st.position() == (0, 8)  # on REQ: no frame yet, and REQ/101 are not frames


def test_the_counter_counts_frames_not_heads() -> None:
    st = stepper()
    st.next()
    assert label(st.current) == "101" and st.position() == (0, 8)  # type: ignore[arg-type]
    assert st.jump(5) and st.position() == (5, 8)
    st.last()
    assert st.position() == (8, 8)
    st.direction = "c2s"
    st.first()
    assert st.jump(4) and st.position() == (3, 5)  # 1, 2, 4 of the client's 5 frames


def test_jump() -> None:
    st = stepper()
    assert st.jump(5) and frame_no(st) == 5
    assert not st.jump(99) and "no frame 99" in st.message and frame_no(st) == 5
    st.direction = "s2c"
    assert not st.jump(4) and "hidden by the filter" in st.message


def test_direction_filter() -> None:
    st = stepper()
    st.cycle_direction()
    assert st.direction == "c2s" and st.filters() == "client→server"
    seen = [label(st.current)]  # type: ignore[arg-type]
    while st.next():
        seen.append(label(st.current))  # type: ignore[arg-type]
    assert seen == ["REQ", "1→TXT", "2→PING", "4→CONT", "5→CONT", "7→CLOSE"]
    st.cycle_direction()
    assert st.direction == "s2c" and st.current is not None and st.current.direction == "s2c"
    st.cycle_direction()
    assert st.direction is None


def test_opcode_filter_cycles_through_present_opcodes() -> None:
    st = stepper()
    seen = []
    for _ in range(6):
        st.cycle_opcode()
        seen.append(st.opcode)
    assert seen == [Opcode.TEXT, Opcode.CONT, Opcode.CLOSE, Opcode.PING, Opcode.PONG, None]
    st.opcode = Opcode.CONT
    st.first()
    assert frame_no(st) == 4 and st.next() and frame_no(st) == 5 and not st.next()


def test_next_problem() -> None:
    st = stepper("unmasked-client.jsonl")
    assert st.next_problem() and frame_no(st) == 1
    assert st.next_problem() and st.message == "this is the only problem"
    clean = stepper()
    assert not clean.next_problem() and clean.message == "no problems"


def test_search() -> None:
    st = stepper()
    assert st.search("BROWN") and frame_no(st) == 4
    assert st.search() and frame_no(st) == 5  # the frame completing the message: its text
    assert st.search() and frame_no(st) == 6  # the echo
    assert st.search() and frame_no(st) == 4 and "wrapped" in st.message
    assert st.search("sec-websocket-accept") and st.cursor == 1  # the response head
    assert not st.search("no such text") and "not found" in st.message
    assert st.search("03e8") and frame_no(st) == 7  # payload hex: the close code


def test_detail_and_conversations() -> None:
    st = stepper(detail="summary")
    assert [st.cycle_detail() for _ in range(3)] == ["fields", "bytes", "summary"]
    st.cycle_conversation()  # one conversation: stays on it
    assert st.conv_index == 0 and st.cursor == 0


def test_strip_fits_and_centres() -> None:
    st = stepper()
    st.jump(4)
    items = st.strip(40)
    assert sum(len(i.label) + 3 for i in items) <= 40
    assert [i.current for i in items].count(True) == 1
    here = [i.label for i in items].index("4→CONT")
    assert 0 < here < len(items) - 1
    wide = st.strip(500)
    assert len(wide) == 10


def test_parse_opcode() -> None:
    assert (
        parse_opcode("text") == 1
        and parse_opcode("CONTINUATION") == 0
        and parse_opcode("0xA") == 10
    )
    with pytest.raises(ValueError):
        parse_opcode("16")


def test_cli_filters_apply_when_printing() -> None:
    from .conftest import replay

    result = replay(
        CAPTURES / "fragmented-ping.jsonl", "--all", "--plain", "-d", "summary", "--opcode", "cont"
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert [line.split()[0] for line in lines] == ["#4", "#5"]
    result = replay(CAPTURES / "fragmented-ping.jsonl", "--json", "--direction", "s2c")
    assert '"direction":"c2s"' not in result.stdout.replace(" ", "")


# -- the real application, driven through a pipe --------------------------------------------------


def run_app(st: Stepper, keys: str, tmp_path: Path | None = None, **kw: object) -> ReplayApp:
    cwd = os.getcwd()
    if tmp_path is not None:
        os.chdir(tmp_path)
    try:
        with create_pipe_input() as inp:
            inp.send_text(keys)
            app = ReplayApp(st, "test", input=inp, output=DummyOutput(), **kw)  # type: ignore[arg-type]
            app.run()
            return app
    finally:
        os.chdir(cwd)


def test_app_keys() -> None:
    st = stepper("unmasked-client.jsonl")
    run_app(st, "nnp!dg2\r/hello\rq")
    assert st.cursor == 2 and st.detail == "summary" and st.query == "hello"
    assert frame_no(st) == 1


def test_app_arrows_filters_and_escape() -> None:
    st = stepper()
    run_app(st, "\x1b[C\x1b[C\x1b[C\x1b[Dfo:\x03q")  # → → → ←, filters, cancelled jump
    assert st.direction == "c2s" and st.opcode == Opcode.TEXT and frame_no(st) == 1
    assert st.message == "filter: client→server, TEXT"


def test_app_draws_the_current_event() -> None:
    st = stepper()
    st.jump(4)
    with create_pipe_input() as inp:
        app = ReplayApp(st, "test", input=inp, output=DummyOutput(), plain=True)
        body = "".join(text for _, text in app._body().__pt_formatted_text__())
        strip = "".join(text for _, text in app._strip())
        status = "".join(text for _, text in app._status())
    assert "#4 -> 10:00:00.205 CONT" in body and "Frame layout" in body
    assert "4→CONT" in strip and "3←PONG" in strip
    assert "4/8" in status and "q quit" in status  # frame 4 of 8 (REQ and 101 not counted)


def test_app_export(tmp_path: Path) -> None:
    st = stepper()
    run_app(st, "nneq", tmp_path)
    assert (tmp_path / "wsdebug-replay-c1-1.svg").read_text(encoding="utf-8").startswith("<svg")
    html = tmp_path / "view.html"
    run_app(st, "eq", svg=None, html=html)
    assert "The quick" in html.read_text(encoding="utf-8")


def test_several_conversations() -> None:
    import io

    from tests.pcapwrite import write_pcap
    from wsdebug.capture.importers import loads

    from .conftest import connection_pair_session, load_jsonl

    a, b = (
        load_jsonl(connection_pair_session())[0],
        load_jsonl(connection_pair_session(deflate=True))[0],
    )
    b.local = "10.1.1.9:40001"
    out = io.BytesIO()
    write_pcap(out, [a, b])
    st = Stepper(loads(out.getvalue(), "two.pcap").conversations())
    assert st.message == "2 conversations: c switches"
    st.last()
    st.cycle_conversation()
    assert st.conv_index == 1 and st.cursor == 0 and "10.1.1.9:40001" in st.message
    st.cycle_conversation()
    assert st.conv_index == 0
