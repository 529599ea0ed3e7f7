"""Helpers for the capture tests: run ``wsdebug replay`` in-process, build sessions to record."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

import wsdebug.cli
import wsdebug.cli.replay
from wsdebug.capture.format import C2S, S2C, CaptureWriter, ConnectionInfo, read_capture
from wsdebug.codec.connection import Connection
from wsdebug.codec.deflate import DeflateParams
from wsdebug.codec.handshake import build_request, build_response, parse_request
from wsdebug.codec.spec import Opcode, Role

CAPTURES = Path(__file__).resolve().parents[2] / "captures"


def replay(*args: Any) -> Any:
    """``wsdebug replay ARGS`` through typer's CliRunner; stdout and stderr kept apart."""
    return CliRunner().invoke(wsdebug.cli.app, ["replay", *map(str, args)])


def json_events(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def frames_of(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The frame events without their times: what must be identical between two replays."""
    return [
        {k: v for k, v in e.items() if k not in ("t", "conn")}
        for e in events
        if e["event"] == "frame"
    ]


def connection_pair_session(*, deflate: bool = False, chunk: int = 0) -> str:
    """A session between two codec Connections, recorded by a CaptureWriter; the JSONL text.

    Args:
        deflate: negotiate permessage-deflate in the handshake and use it.
        chunk: when > 0, write the bytes in chunks of at most this size (frames split).
    """
    out = io.StringIO()
    w = CaptureWriter(out, mode="connect", created="2025-12-01T10:00:00Z")
    w.open(
        "c1",
        role="client",
        peer="10.1.1.2:8765",
        local="10.1.1.1:40000",
        url="ws://10.1.1.2:8765/t",
        t=100.0,
    )
    offer = "permessage-deflate; client_max_window_bits" if deflate else None
    request, _key = build_request("10.1.1.2:8765", "/t", extensions=offer)
    answer = "permessage-deflate" if deflate else None
    response = build_response(parse_request(request), extensions=answer)
    t = [100.0]

    def put(direction: str, data: bytes) -> None:
        step = chunk or len(data) or 1
        for i in range(0, len(data), step):
            t[0] += 0.01
            w.data("c1", direction, data[i : i + step], t=t[0])

    put(C2S, request)
    put(S2C, response)
    params = DeflateParams() if deflate else None
    client, server = (
        Connection(Role.CLIENT, deflate=params),
        Connection(Role.SERVER, deflate=params),
    )

    def flush() -> None:
        while True:
            a, b = client.data_to_send(), server.data_to_send()
            if a:
                put(C2S, a)
                server.receive_data(a)
            if b:
                put(S2C, b)
                client.receive_data(b)
            if not a and not b:
                return

    client.send_text("hello")
    client.send_text("fragmented hello, 厉害了", fragments=3)
    flush()
    server.send_text("hello back " * 20)
    server.send_binary(bytes(range(256)) * 3)
    server.send_ping(b"ping?")
    flush()
    client.send_message(Opcode.BINARY, b"\x00" * 70_000)
    flush()
    client.send_close(1000, "done")
    flush()
    w.end("c1", "closing handshake done", t=t[0] + 0.01)
    return out.getvalue()


def load_jsonl(text: str) -> list[ConnectionInfo]:
    return read_capture(iter(text.splitlines()), "test")
