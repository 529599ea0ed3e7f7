"""``--record``: both ends record every byte; the two captures must agree byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wsdebug.capture.format import C2S, S2C, CaptureWriter
from wsdebug.codec.frames import FrameParser
from wsdebug.codec.handshake import parse_request
from wsdebug.codec.opening import ClientConnection
from wsdebug.codec.spec import Role
from wsdebug.live import client as client_module
from wsdebug.live.client import ClientOptions
from wsdebug.live.run import run_connect

from .conftest import Events, Listen, arun, load_capture, script, stream


def parse_all(data: bytes, sender: Role) -> list[Any]:
    parser = FrameParser(sender)
    parser.receive_data(data)
    frames = parser.frames()
    assert parser.incomplete() is None, "a recording ends inside a frame"
    return frames


def split_head(data: bytes) -> tuple[bytes, bytes]:
    end = data.index(b"\r\n\r\n") + 4
    return data[:end], data[end:]


@pytest.mark.parametrize(("count", "deflate"), [(2000, True), (200, False)])
def test_recordings_agree_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int, deflate: bool
) -> None:
    sent_requests: list[bytes] = []

    class Spy(ClientConnection):
        """Keeps the request head: the first bytes the client connection has to send."""

        def data_to_send(self) -> bytes:
            out = super().data_to_send()
            if out and not sent_requests:
                sent_requests.append(out)
            return out

    monkeypatch.setattr(client_module, "ClientConnection", Spy)
    lines = [f"message {i:04d} " + "ab" * (i % 50) for i in range(count)]
    client_file, server_file = tmp_path / "client.jsonl", tmp_path / "server.jsonl"

    async def main() -> tuple[int, int, Events, Events]:
        async with Listen(echo=True, record=server_file) as srv:
            ev = Events()
            with open(client_file, "w", encoding="utf-8") as fh:
                recorder = CaptureWriter(fh, mode="connect")
                # no waiting: the script closes right after the last line, nothing may be lost
                status = await run_connect(
                    srv.url, ClientOptions(deflate=deflate), ev, recorder, script=script(lines)
                )
            return status, await srv.result(), ev, srv.events

    status, lstatus, cev, sev = arun(main(), timeout=40)
    assert (status, lstatus) == (0, 0)
    assert len(sent_requests) == 1
    request = sent_requests[0]

    [client] = load_capture(client_file)
    [server] = load_capture(server_file)
    assert client.role == "client" and server.role == "server"
    assert client.url == f"ws://{server.local}/"
    assert client.local == server.peer and client.peer == server.local
    assert client.end_reason and server.end_reason
    assert client.extensions == server.extensions
    assert (client.extensions is not None) == deflate

    c2s, s2c = stream(client, C2S), stream(client, S2C)
    assert c2s == stream(server, C2S), "what the client wrote is not what the server read"
    assert s2c == stream(server, S2C), "what the server wrote is not what the client read"

    # the exact request head, and the response head, lead the two streams
    head, c2s_frames = split_head(c2s)
    assert head == request
    assert parse_request(head).key is not None
    response, s2c_frames = split_head(s2c)
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    json_response = cev.one("handshake")["response"]
    assert [
        h["value"] for h in json_response["headers"] if h["name"] == "Sec-WebSocket-Accept"
    ] == [response.split(b"Sec-WebSocket-Accept: ")[1].split(b"\r\n")[0].decode()]

    # nothing missing: every message out and every echo back, then the close frames
    out = parse_all(c2s_frames, Role.CLIENT)
    back = parse_all(s2c_frames, Role.SERVER)
    assert [f.opcode_raw for f in out] == [1] * count + [8]
    assert [f.opcode_raw for f in back] == [1] * count + [8]
    assert all(f.rsv1 == deflate for f in out[:-1] + back[:-1])
    if not deflate:
        assert [f.payload.decode() for f in out[:-1]] == lines
        assert [f.payload.decode() for f in back[:-1]] == lines
    assert cev.texts("s2c") == lines and sev.texts("c2s") == lines

    # the JSON events and the recording describe the same bytes
    assert [e["size"] for e in cev.of("frame", direction="c2s")] == [f.size for f in out]
    assert sum(e["size"] for e in sev.of("frame", direction="s2c")) == len(s2c_frames)

    # every chunk is a real socket read or write, in time order
    times = [c.t for c in client.chunks]
    assert times == sorted(times)
    assert all(c.data for c in client.chunks + server.chunks)


def test_refused_handshake_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "refused.jsonl"

    async def main() -> int:
        async with Listen() as srv:
            with open(path, "w", encoding="utf-8") as fh:
                opts = ClientOptions(headers=[("Sec-WebSocket-Version", "99")])
                ev = Events()
                return await run_connect(
                    srv.url, opts, ev, CaptureWriter(fh, mode="connect"), script=script([])
                )

    status = arun(main())
    assert status == 1
    [conn] = load_capture(path)
    c2s, s2c = stream(conn, C2S), stream(conn, S2C)
    assert c2s.count(b"Sec-WebSocket-Version") == 2
    head, body = split_head(s2c)
    assert head.startswith(b"HTTP/1.1 400 ") or head.startswith(b"HTTP/1.1 426 ")
    assert body, "the refusal's body is part of the recording"
    assert all(c.data for c in conn.chunks), "an empty data record is not a socket read"
    assert conn.end_reason and "handshake refused" in conn.end_reason
