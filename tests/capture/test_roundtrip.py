"""Round trips: what a live session showed is what its recording (JSONL, or as a pcap) replays to."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

# The live tests' helpers: a listener in the test's loop, a JSON reporter that keeps its events.
from live import conftest as live

from tests.pcapwrite import write_pcap
from wsdebug.capture.format import CaptureWriter, read_capture
from wsdebug.capture.replay import emit_json
from wsdebug.capture.session import reconstruct
from wsdebug.live.client import ClientOptions
from wsdebug.live.run import run_connect

from .conftest import frames_of, json_events, replay


def _strip(
    events: list[dict[str, Any]], kinds: tuple[str, ...] = ("frame", "message")
) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in e.items() if k not in ("t", "conn")}
        for e in events
        if e["event"] in kinds
    ]


def _per_direction(events: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {d: [e for e in events if e["direction"] == d] for d in ("c2s", "s2c")}


def _lines(head: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(h["name"], h["value"], h["offset"]) for h in head["headers"]]


LINES = ["hello", "wörld ✓ 厉害了", "x" * 70_000, "[bold]not markup[/bold] \x1b[31m"]


@pytest.mark.parametrize("deflate", [True, False], ids=["deflate", "plain"])
def test_connect_and_listen_recordings_replay_to_the_live_frames(
    tmp_path: Path, deflate: bool
) -> None:
    async def main() -> tuple[int, Any, int, Any]:
        async with live.Listen(echo=True, record=tmp_path / "listen.jsonl", deflate=deflate) as srv:
            ev = live.Events()
            gate = ev.gate(live.is_msg("s2c"), len(LINES))
            with open(tmp_path / "connect.jsonl", "w", encoding="utf-8") as fh:
                rec = CaptureWriter(fh, mode="connect")
                status = await run_connect(
                    srv.url,
                    ClientOptions(deflate=deflate),
                    ev,
                    rec,
                    script=live.script(LINES, gate),
                )
            return status, ev, await srv.result(), srv.events

    status, client_events, server_status, server_events = live.arun(main())
    assert status == 0 and server_status == 0, client_events.dump()
    for name, shown in (("connect.jsonl", client_events), ("listen.jsonl", server_events)):
        result = replay(tmp_path / name, "--json")
        assert result.exit_code == 0, result.stderr
        replayed = json_events(result)
        # Every frame and message, identical.  Per direction: an echo server's answer to the
        # first of two frames read in one chunk is written before the second frame is decoded,
        # an interleaving a chunk-level recording cannot show.
        assert _per_direction(_strip(replayed)) == _per_direction(_strip(shown.items)), name
        live_hs, replay_hs = (
            shown.one("handshake"),
            [e for e in replayed if e["event"] == "handshake"][0],
        )
        for part in (
            "request",
            "response",
        ):  # the same lines ("meaning" may say more: replay checks both sides)
            assert _lines(replay_hs[part]) == _lines(live_hs[part]), (name, part)
        assert replay_hs["extensions"] == live_hs["extensions"]
        assert [e["code"] for e in replayed if e["event"] == "close"] == [1000]
    texts = [
        e["text"]
        for e in json_events(replay(tmp_path / "connect.jsonl", "--json"))
        if e["event"] == "message" and e["direction"] == "c2s"
    ]
    assert texts == LINES
    # the same session as packets: in-order, then out of order with retransmissions
    with open(tmp_path / "connect.jsonl", "rb") as fh:
        (info,) = read_capture(fh, "connect.jsonl")
    expected = _per_direction(_strip(client_events.items, ("frame",)))
    for name, kw in (
        ("in-order.pcap", {}),
        ("messy.pcap", {"mss": 40, "reorder": [1, 4, 9], "retransmit": [2, 6, 11]}),
    ):
        with open(tmp_path / name, "wb") as out:
            write_pcap(out, [info], **kw)  # type: ignore[arg-type]
        result = replay(tmp_path / name, "--json")
        assert result.exit_code == 0, result.stderr
        assert _per_direction(frames_of(json_events(result))) == expected, name


def test_connection_pair_session_replays_to_what_the_endpoints_saw() -> None:
    """Two codec Connections wired together with a CaptureWriter (no sockets)."""
    from wsdebug.capture.serialize import frame_json
    from wsdebug.codec.connection import Connection
    from wsdebug.codec.deflate import DeflateParams
    from wsdebug.codec.events import FrameEvent
    from wsdebug.codec.handshake import build_request, build_response, parse_request
    from wsdebug.codec.spec import Role

    out = io.StringIO()
    w = CaptureWriter(out, mode="connect")
    w.open("c1", role="client", peer="10.0.0.2:80", local="10.0.0.1:5000")
    request, _ = build_request("10.0.0.2", "/", extensions="permessage-deflate")
    w.data("c1", "c2s", request)
    w.data("c1", "s2c", build_response(parse_request(request), extensions="permessage-deflate"))
    client, server = (
        Connection(Role.CLIENT, deflate=DeflateParams()),
        Connection(Role.SERVER, deflate=DeflateParams()),
    )
    seen: list[tuple[str, dict[str, Any]]] = []
    client.send_text("one")
    client.send_text("two, in pieces", fragments=4)
    client.send_ping(b"?")
    for _ in range(3):
        for sender, receiver, direction in ((client, server, "c2s"), (server, client, "s2c")):
            data = sender.data_to_send()
            for i in range(0, len(data), 5):  # five bytes a chunk: every frame split
                w.data("c1", direction, data[i : i + 5])
            receiver.receive_data(data)
        server.send_text("three")
    client.send_close(1000, "bye")
    for sender, receiver, direction in ((client, server, "c2s"), (server, client, "s2c")):
        data = sender.data_to_send()
        w.data("c1", direction, data)
        receiver.receive_data(data)
    for ev in client.events_received():
        if isinstance(ev, FrameEvent):
            seen.append((ev.direction, frame_json(ev.record)))
    (info,) = read_capture(iter(out.getvalue().splitlines()), "pair")
    conv = reconstruct(info)
    replayed = [(ev.direction, frame_json(ev.record)) for ev in conv.frames]
    assert sorted(replayed, key=lambda x: x[0]) == sorted(seen, key=lambda x: x[0])
    assert conv.problem_count == 0 and conv.close_summary().clean
    stream = io.StringIO()
    emit_json([conv], stream)
    kinds = [json.loads(line)["event"] for line in stream.getvalue().splitlines()]
    assert kinds[:2] == ["connect", "handshake"] and kinds[-2:] == ["close", "disconnect"]
