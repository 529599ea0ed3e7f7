"""pcap/pcapng import: TCP reassembly (out of order, retransmitted, gaps, wraparound) and link types."""

from __future__ import annotations

import io
from pathlib import Path

import dpkt
import pytest

from tests.pcapwrite import write_pcap
from wsdebug.capture.format import ConnectionInfo
from wsdebug.capture.importers import load, loads
from wsdebug.capture.serialize import frame_json
from wsdebug.capture.session import Conversation, reconstruct
from wsdebug.codec.events import NoteEvent

from .conftest import connection_pair_session, json_events, load_jsonl, replay


def wire(conv: Conversation) -> dict[str, list[dict[str, object]]]:
    """Each direction's frames.  Reordered segments may change how the two directions
    interleave (a delayed segment delivers its frames later), never a direction's own frames."""
    return {
        d: [frame_json(ev.record) for ev in conv.frames if ev.direction == d]
        for d in ("c2s", "s2c")
    }


def in_order(conv: Conversation) -> list[tuple[str, int, bytes]]:
    return [(ev.direction, ev.number, ev.record.frame.to_bytes()) for ev in conv.frames]


def pcap_bytes(infos: list[ConnectionInfo], **kw: object) -> bytes:
    out = io.BytesIO()
    write_pcap(out, infos, **kw)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.fixture(params=[False, True], ids=["plain", "deflate"])
def session(request: pytest.FixtureRequest) -> ConnectionInfo:
    return load_jsonl(connection_pair_session(deflate=request.param))[0]


def test_in_order_pcap_matches_the_recording(session: ConnectionInfo) -> None:
    expected = wire(reconstruct(session))
    cap = loads(pcap_bytes([session], mss=1460), "in-order.pcap")
    assert cap.kind == "pcap"
    (conv,) = cap.conversations()
    assert wire(conv) == expected
    assert in_order(conv) == in_order(reconstruct(session))
    assert conv.client == "10.1.1.1:40000" and conv.server == "10.1.1.2:8765"
    assert not any("retransmitted" in n for n in conv.notes)


@pytest.mark.parametrize("mss", [61, 536])
def test_out_of_order_and_retransmitted(session: ConnectionInfo, mss: int) -> None:
    expected = wire(reconstruct(session))
    data = pcap_bytes([session], mss=mss, reorder=[0, 3, 6], retransmit=[1, 5, 7])
    (conv,) = loads(data, "messy.pcap").conversations()
    assert wire(conv) == expected  # the same frames, byte for byte, problems and all
    assert conv.problem_count == 0
    note = " ".join(conv.notes)
    assert "retransmitted" in note and "out-of-order" in note


def test_sequence_numbers_wrap(session: ConnectionInfo) -> None:
    expected = wire(reconstruct(session))
    data = pcap_bytes([session], mss=500, isn=(0xFFFFFF00, 0xFFFFFFF0), reorder=[2], retransmit=[4])
    (conv,) = loads(data, "wrap.pcap").conversations()
    assert wire(conv) == expected


def _packets(data: bytes) -> list[tuple[float, bytes]]:
    return list(dpkt.pcap.Reader(io.BytesIO(data)))


def _rewrite(data: bytes, packets: list[tuple[float, bytes]], linktype: int | None = None) -> bytes:
    out = io.BytesIO()
    if linktype is None:
        linktype = dpkt.pcap.Reader(io.BytesIO(data)).datalink()
    w = dpkt.pcap.Writer(out, linktype=linktype, snaplen=65535)
    for ts, buf in packets:
        w.writepkt(buf, ts=ts)
    return out.getvalue()


def test_capture_started_after_the_syn(session: ConnectionInfo) -> None:
    data = pcap_bytes([session], mss=300, reorder=[1])
    packets = _packets(data)[3:]  # no SYN, SYN-ACK, ACK: the capture began late
    (conv,) = loads(_rewrite(data, packets), "late.pcap").conversations()
    assert wire(conv) == wire(reconstruct(session))


def test_a_lost_segment_is_a_gap(session: ConnectionInfo) -> None:
    data = pcap_bytes([session], mss=300)
    packets = _packets(data)
    del packets[6]  # a data segment that was never captured
    (conv,) = loads(_rewrite(data, packets), "lossy.pcap").conversations()
    notes = [ev.text for ev in conv.events if isinstance(ev, NoteEvent)] + conv.notes
    assert any("were not captured" in n for n in notes), notes
    assert conv.problem_count > 0


def test_ipv6_raw_ip_and_pcapng(session: ConnectionInfo, tmp_path: Path) -> None:
    session.local, session.peer = "[2001:db8::1]:40000", "[2001:db8::2]:8765"
    expected = wire(reconstruct(session))
    raw = pcap_bytes([session], mss=200, linktype=101, reorder=[2], retransmit=[3])
    (conv,) = loads(raw, "v6.pcap").conversations()
    assert wire(conv) == expected
    assert conv.client == "[2001:db8::1]:40000"
    # the same packets in a pcapng file, detected by content whatever the file is called
    ng = tmp_path / "capture.bin"
    with open(ng, "wb") as fh:
        w = dpkt.pcapng.Writer(fh, linktype=101, snaplen=65535)
        for ts, buf in _packets(raw):
            w.writepkt(buf, ts=ts)
    cap = load(ng)
    assert cap.kind == "pcapng"
    assert wire(cap.conversations()[0]) == expected


@pytest.mark.parametrize(
    "linktype", [dpkt.pcap.DLT_LINUX_SLL, 276, dpkt.pcap.DLT_NULL, dpkt.pcap.DLT_LOOP]
)
def test_other_link_types(session: ConnectionInfo, linktype: int) -> None:
    raw = pcap_bytes([session], mss=400, linktype=101)
    packets = []
    for ts, ip in _packets(raw):
        if linktype == dpkt.pcap.DLT_LINUX_SLL:
            frame = bytes(
                dpkt.sll.SLL(type=0, hrd=1, hlen=6, hdr=b"\x02" * 8, ethtype=0x0800, data=ip)
            )
        elif linktype == 276:
            frame = bytes(dpkt.sll2.SLL2(ethtype=0x0800, intindex=1, data=ip))
        elif linktype == dpkt.pcap.DLT_NULL:
            frame = (2).to_bytes(4, "little") + ip
        else:
            frame = (2).to_bytes(4, "big") + ip
        packets.append((ts, frame))
    (conv,) = loads(_rewrite(raw, packets, linktype), "link.pcap").conversations()
    assert wire(conv) == wire(reconstruct(session))


def test_several_conversations_and_other_tcp(tmp_path: Path) -> None:
    a = load_jsonl(connection_pair_session())[0]
    b = load_jsonl(connection_pair_session(deflate=True))[0]
    b.local = "10.1.1.9:40001"
    http = ConnectionInfo("h", role="client", peer="10.1.1.2:80", local="10.1.1.1:40002")
    http.chunks = [
        type(a.chunks[0])(a.chunks[0].t, "h", "c2s", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    ]
    path = tmp_path / "three.pcap"
    path.write_bytes(pcap_bytes([a, http, b], mss=1000))
    convs = load(path).conversations()
    assert [c.client for c in convs] == ["10.1.1.1:40000", "10.1.1.9:40001"]
    assert convs[1].deflate is not None and convs[0].deflate is None
    result = replay(path, "--json")
    assert result.exit_code == 0
    assert {e["conn"] for e in json_events(result)} == {"1", "2"}
    only = json_events(replay(path, "--json", "--conn", "2"))
    assert {e["conn"] for e in only} == {"2"}
    listed = replay(path, "--all", "-d", "summary", "--plain")
    assert "conversation 1:" in listed.stdout and "conversation 2:" in listed.stdout
