"""Purpose-built WebSocket echo servers for the grader tests, each breaking one rule on demand.

:class:`Policy` switches single checks off (or makes pongs late, or stops the server from ever
closing); the default policy is a strict, correct echo server, independent of wsdebug's codec
(its own frame reader, its own handshake), so the graders are seen to change for one reason.
Servers run on their own event loop in a thread, on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
import contextlib
import hashlib
import logging
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RESERVED = set(range(3, 8)) | set(range(11, 16))
VALID_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


@dataclass(frozen=True)
class Policy:
    check_rsv: bool = True
    check_opcodes: bool = True
    check_control: bool = True
    check_fragments: bool = True
    check_close: bool = True
    utf8: str = "fast"  #: "fast" (per frame), "end" (when the message is complete), "none"
    pong_delay: float | None = 0.0  #: None: never answer pings
    closes: bool = True  #: False: never sends a close frame and never closes TCP
    fail_reason: bytes = b""  #: the close reason sent when failing the connection
    corrupt_at: int | None = None  #: flip the bits of this byte of every echo long enough


NO_CHECKS = Policy(False, False, False, False, False, "none")


def _xor(data: bytes, key: bytes) -> bytes:
    n = len(data)
    mask = int.from_bytes((key * (n // 4 + 1))[:n], "little")
    return (int.from_bytes(data, "little") ^ mask).to_bytes(n, "little")


def frame(opcode: int, payload: bytes = b"") -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


async def _read_frame(reader: asyncio.StreamReader) -> tuple[bool, int, int, bytes]:
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    key = await reader.readexactly(4) if b1 & 0x80 else None
    data = await reader.readexactly(n)
    return bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, _xor(data, key) if key else data


class Server:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.port = 0

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        key = re.search(rb"(?i)sec-websocket-key:[ \t]*(\S+)", head)
        assert key is not None
        accept = base64.b64encode(hashlib.sha1(key.group(1) + GUID).digest())
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )

    async def _fail(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, code: int
    ) -> None:
        if not self.policy.closes:
            await reader.read()  # keep the connection open until the peer gives up
            return
        writer.write(frame(8, code.to_bytes(2, "big") + self.policy.fail_reason))
        await writer.drain()
        writer.close()

    def _close_reply(self, data: bytes) -> int | None:
        """The code to answer a close frame with, or None to fail with 1002/1007 instead."""
        if not data:
            return 1000
        code = int.from_bytes(data[:2], "big")
        if not self.policy.check_close:
            return code if len(data) >= 2 else 1000
        if len(data) == 1 or not (code in VALID_CLOSE or 3000 <= code <= 4999):
            return None
        try:
            data[2:].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return code

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        p = self.policy
        try:
            await self._handshake(reader, writer)
            msg_op: int | None = None
            parts: list[bytes] = []
            decoder = codecs.getincrementaldecoder("utf-8")()
            while True:
                fin, rsv, op, data = await _read_frame(reader)
                if rsv and p.check_rsv:
                    return await self._fail(reader, writer, 1002)
                if op in RESERVED:
                    if p.check_opcodes:
                        return await self._fail(reader, writer, 1002)
                    continue
                if op >= 8 and (not fin or len(data) > 125) and p.check_control:
                    return await self._fail(reader, writer, 1002)
                if op == 8:
                    if not p.closes:
                        await reader.read()
                        return
                    code = self._close_reply(data)
                    if code is None:
                        return await self._fail(reader, writer, 1002)
                    writer.write(frame(8, code.to_bytes(2, "big")))
                    await writer.drain()
                    writer.close()
                    return
                if op == 9:
                    self._pong(writer, data)
                    continue
                if op == 10:
                    continue
                if op in (1, 2):
                    if msg_op is not None and p.check_fragments:
                        return await self._fail(reader, writer, 1002)
                    msg_op, parts = op, []
                    decoder.reset()
                elif msg_op is None:
                    if p.check_fragments:
                        return await self._fail(reader, writer, 1002)
                    continue
                parts.append(data)
                if msg_op == 1 and p.utf8 == "fast":
                    try:
                        decoder.decode(data, final=fin)
                    except UnicodeDecodeError:
                        return await self._fail(reader, writer, 1007)
                if fin:
                    payload = b"".join(parts)
                    if msg_op == 1 and p.utf8 == "end":
                        try:
                            payload.decode("utf-8")
                        except UnicodeDecodeError:
                            return await self._fail(reader, writer, 1007)
                    at = p.corrupt_at
                    if at is not None and len(payload) > at:
                        payload = payload[:at] + bytes((payload[at] ^ 0xFF,)) + payload[at + 1 :]
                    writer.write(frame(msg_op, payload))
                    msg_op = None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    def _pong(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        delay = self.policy.pong_delay
        if delay is None:
            return
        if not delay:
            writer.write(frame(10, data))
            return

        async def later() -> None:
            await asyncio.sleep(delay)
            if not writer.is_closing():
                writer.write(frame(10, data))

        asyncio.ensure_future(later())


@contextmanager
def _in_thread(start: object) -> Iterator[int]:
    """Run the server coroutine factory ``start`` (returning (server, port)) on a thread's loop."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    def main() -> None:
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            box["server"], box["port"] = await start()  # type: ignore[operator]
            ready.set()

        loop.run_until_complete(boot())
        loop.run_forever()

    thread = threading.Thread(target=main, daemon=True)
    thread.start()
    assert ready.wait(10), "server did not start"
    try:
        yield int(box["port"])  # type: ignore[call-overload]
    finally:

        async def stop() -> None:
            server = box["server"]
            try:  # websockets: no closing handshakes with peers the tests have left behind
                server.close(close_connections=False)  # type: ignore[attr-defined]
            except TypeError:
                server.close()  # type: ignore[attr-defined]
            me = asyncio.current_task()
            others = [t for t in asyncio.all_tasks() if t is not me]
            for t in others:
                t.cancel()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*others, return_exceptions=True), 2)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextmanager
def raw_server(policy: Policy = Policy(), tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """``ws://127.0.0.1:PORT/`` (``wss://`` with ``tls``) of a purpose-built echo server."""
    srv = Server(policy)

    async def start() -> tuple[object, int]:
        server = await asyncio.start_server(srv.handle, "127.0.0.1", 0, ssl=tls)
        return server, server.sockets[0].getsockname()[1]

    with _in_thread(start) as port:
        yield f"{'wss' if tls else 'ws'}://127.0.0.1:{port}/"


@contextmanager
def websockets_server() -> Iterator[str]:
    """The websockets library's echo server, configured as its own Autobahn compliance server."""
    from websockets.asyncio.server import serve
    from websockets.exceptions import WebSocketException

    logging.getLogger("websockets").setLevel(logging.CRITICAL)

    async def echo(ws: object) -> None:
        try:
            async for msg in ws:  # type: ignore[attr-defined]
                await ws.send(msg)  # type: ignore[attr-defined]
        except WebSocketException:
            pass

    async def start() -> tuple[object, int]:
        server = await serve(echo, "127.0.0.1", 0, max_size=2**25)
        return server, server.sockets[0].getsockname()[1]

    with _in_thread(start) as port:
        yield f"ws://127.0.0.1:{port}/"
