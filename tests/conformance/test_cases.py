"""The catalogue and the grading function, without sockets."""

from __future__ import annotations

from collections import Counter

import pytest

from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Direction, Role
from wsdebug.codec.stream import StreamDecoder
from wsdebug.live.conformance.cases import catalogue, select
from wsdebug.live.conformance.grading import CloseGrade, Grade, Trace, grade
from wsdebug.live.conformance.payloads import deflate_message, utf8_sequences


def by_id() -> dict:
    return {c.id: c for c in catalogue(3)}


def test_catalogue_has_autobahns_numbering() -> None:
    cases = catalogue(3)
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)) == 516  # Autobahn's 517 server cases minus 10.1.1
    assert Counter(c.group for c in cases) == {
        "1": 16,
        "2": 11,
        "3": 7,
        "4": 10,
        "5": 20,
        "6": 145,
        "7": 37,
        "9": 54,
        "12": 90,
        "13": 126,
    }
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("."))))
    assert ids[-1] == "13.7.18" and "6.23.7" in ids and "7.13.2" in ids and "9.8.6" in ids


def test_select_patterns() -> None:
    cases = catalogue(3)
    assert [c.id for c in select(cases, ["5.1.*"])] == ["5.1"]
    assert {c.id for c in select(cases, ["1.*"])} == {c.id for c in cases if c.group == "1"}
    assert [c.id for c in select(cases, ["7.9"], ["7.9.2", "7.9.3*"])][:2] == ["7.9.1", "7.9.4"]
    assert len(select(cases, [], ["9.*", "12.*", "13.*"])) == 516 - 54 - 90 - 126
    assert select(cases, ["6.4.3"])[0].id == "6.4.3"


def test_utf8_sequences_match_pythons_decoder() -> None:
    seqs = utf8_sequences()  # asserts each claimed validity against bytes.decode itself
    assert len(seqs) == 19
    assert sum(len(s) for _t, s in seqs) == 145 - 13  # 6.1-6.4 hold 13 cases
    assert seqs[1][1][0] == (False, b"\xce")  # the first prefix of "κόσμε" is a bare lead byte


def test_fail_fast_case_splits_at_the_bad_byte() -> None:
    c = by_id()["6.4.2"]
    parts = [s.payload for s in c.steps if hasattr(s, "payload")]
    assert parts[1] == b"\x90"  # 0xF4 0x90: above U+10FFFF, impossible from this byte on
    assert b"".join(parts) == b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80edited"


def test_deflate_payloads_are_deterministic_and_wrap() -> None:
    a = deflate_message("json", 131072, 1)
    assert a == deflate_message("json", 131072, 1) and len(a) == 131072
    a.decode("ascii")  # sent as text: must be valid UTF-8
    assert len(deflate_message("pdf", 16, 999)) == 16


def _record(payload: bytes, opcode: int = 1):
    return StreamDecoder(Role.SERVER).receive_data(encode_frame(opcode, payload))[0]


def test_grade_is_pure_and_follows_autobahn() -> None:
    cases = by_id()
    # 3.2: the echo then a 1002 close is OK; no echo then 1002 is NON-STRICT; a pong is FAILED.
    rec = _record(b"Hello, world!")
    base = {"opened": True, "closed_by_me": False, "remote_close_code": 1002}
    ok = grade(cases["3.2"], Trace(**base, received=[("message", b"Hello, world!", False)]))
    ns = grade(cases["3.2"], Trace(**base))
    bad = grade(
        cases["3.2"],
        Trace(
            **base,
            received=[("message", b"Hello, world!", False), ("pong", b"")],
            event_frames=[0, 1],
            frames=[(0.0, Direction.S2C, rec), (0.0, Direction.S2C, rec)],
        ),
    )
    assert (ok.grade, ns.grade, bad.grade) == (Grade.OK, Grade.NON_STRICT, Grade.FAILED)
    assert all(r.close_grade is CloseGrade.OK for r in (ok, ns, bad))
    assert bad.decisive is not None and bad.decisive.text.startswith("received pong")
    # 3.2 never failed by the peer: the close grade is FAILED even though no event was wrong.
    kept_open = grade(cases["3.2"], Trace(opened=True, closed_by_me=True, was_clean=True))
    assert (kept_open.grade, kept_open.close_grade) == (Grade.NON_STRICT, CloseGrade.FAILED)
    # 6.3.1: a UTF-8 case failed by the wrong endpoint is FAILED outright.
    r = grade(
        cases["6.3.1"],
        Trace(opened=True, closed_by_me=True, was_clean=True, remote_close_code=1000),
    )
    assert r.grade is Grade.FAILED and r.failed
    # 7.7.1: an echoed valid code is OK; an unexpected one is a WRONG CODE that fails group 7.
    assert (
        grade(
            cases["7.7.4"],
            Trace(opened=True, closed_by_me=True, was_clean=True, remote_close_code=1003),
        ).grade
        is Grade.OK
    )
    wrong = grade(
        cases["7.7.4"],
        Trace(opened=True, closed_by_me=True, was_clean=True, remote_close_code=1001),
    )
    assert (wrong.grade, wrong.close_grade) == (Grade.FAILED, CloseGrade.WRONG_CODE)
    # 1.1.1 with a clean close that the client had to finish by dropping TCP: FAILED BY CLIENT.
    fbc = grade(
        cases["1.1.1"],
        Trace(
            opened=True,
            closed_by_me=True,
            was_clean=True,
            dropped_by_me=True,
            received=[("message", b"", False)],
        ),
    )
    assert (fbc.grade, fbc.close_grade, fbc.failed) == (
        Grade.OK,
        CloseGrade.FAILED_BY_CLIENT,
        False,
    )
    # 7.13.1 is informational whatever happens; no handshake is FAILED.
    assert grade(cases["7.13.1"], Trace(opened=True)).grade is Grade.INFORMATIONAL
    assert grade(cases["1.1.1"], Trace(handshake_error="refused")).grade is Grade.FAILED


@pytest.mark.parametrize("cid", ["6.4.1", "6.4.3"])
def test_fail_fast_grades(cid: str) -> None:
    case = by_id()[cid]
    close = {"opened": True, "closed_by_me": False, "remote_close_code": 1007}
    assert grade(case, Trace(**close, received=[("timeout", "A")])).grade is Grade.OK
    late = grade(case, Trace(**close, received=[("timeout", "A"), ("timeout", "B")]))
    assert late.grade is Grade.NON_STRICT
    never = grade(
        case, Trace(opened=True, closed_by_me=True, received=[("timeout", "A"), ("timeout", "B")])
    )
    assert never.grade is Grade.FAILED
