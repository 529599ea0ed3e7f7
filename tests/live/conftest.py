"""Helpers for the live tests: real sockets on 127.0.0.1, every wait bounded by a timeout.

No pytest-asyncio: each test runs its own ``asyncio.run`` through :func:`arun`, which also puts
a hard timeout around the whole coroutine so a bug cannot hang the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.util
import io
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from wsdebug.capture.format import CaptureWriter, ConnectionInfo, read_capture
from wsdebug.codec.frames import FrameParser, WireFrame
from wsdebug.codec.handshake import build_request
from wsdebug.codec.spec import Role
from wsdebug.live.listener import Listener, ListenOptions
from wsdebug.live.reporter import JsonReporter
from wsdebug.live.run import run_listen

HOST = "127.0.0.1"
STEP = 10.0  #: the longest any single wait may take


def arun(coro: Any, timeout: float = 30.0) -> Any:
    """Run one coroutine on a fresh loop, failing (not hanging) after ``timeout`` seconds."""

    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(main())


@pytest.fixture(autouse=True)
def _quiet_websockets() -> Iterator[None]:
    """The websockets peers log a traceback when a test's peer closes first; that is expected."""
    logger = logging.getLogger("websockets")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


# -- JSON events ------------------------------------------------------------------------------------


class _Lines(io.StringIO):
    """The reporter's output stream: hands every write, parsed back from JSON, to ``sink``."""

    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__()
        self._sink = sink

    def write(self, text: str) -> int:
        n = super().write(text)
        self._sink(text)
        return n


class Events(JsonReporter):
    """A JsonReporter writing to a StringIO that also keeps the events, parsed back from the lines.

    Every line is re-read with ``json.loads`` so the tests check what a program would read.
    ``gate(pred, n)`` returns a threading.Event set once ``n`` events matched ``pred``: a stdin
    script waits on it so it does not close before the echoes it expects have come back.
    """

    def __init__(self) -> None:
        super().__init__(_Lines(self._line))
        self.items: list[dict[str, Any]] = []
        self._gates: list[tuple[Callable[[dict[str, Any]], bool], list[int], threading.Event]] = []

    def _line(self, text: str) -> None:
        assert text.endswith("\n") and text.count("\n") == 1, (
            f"one JSON object per write and line: {text!r}"
        )
        ev = json.loads(text)
        assert isinstance(ev, dict) and isinstance(ev.get("event"), str), text
        self.items.append(ev)
        for pred, left, flag in self._gates:
            if left[0] > 0 and pred(ev):
                left[0] -= 1
                if left[0] == 0:
                    flag.set()

    def gate(self, pred: Callable[[dict[str, Any]], bool], n: int = 1) -> threading.Event:
        flag = threading.Event()
        if n <= 0:
            flag.set()
        self._gates.append((pred, [n], flag))
        return flag

    def of(self, kind: str, **match: Any) -> list[dict[str, Any]]:
        return [
            e
            for e in self.items
            if e["event"] == kind and all(e.get(k) == v for k, v in match.items())
        ]

    def one(self, kind: str, **match: Any) -> dict[str, Any]:
        found = self.of(kind, **match)
        assert len(found) == 1, f"expected one {kind} {match}, got {len(found)}: {self.dump()}"
        return found[0]

    def messages(self, direction: str) -> list[dict[str, Any]]:
        return self.of("message", direction=direction)

    def texts(self, direction: str) -> list[str | None]:
        return [m["text"] for m in self.messages(direction)]

    def dump(self) -> str:
        short = [
            {k: v for k, v in e.items() if k not in ("fields", "request", "response")}
            for e in self.items
        ]
        return "\n".join(json.dumps(e) for e in short)


def require_hex_input() -> None:
    """--binary parses each line with wsdebug.capture.textinput; fail fast (not by timeout) when it is missing."""
    if importlib.util.find_spec("wsdebug.capture.textinput") is None:
        pytest.fail(
            "wsdebug.capture.textinput does not exist: wsdebug.live.run.parse_line imports it for --binary"
        )


def is_msg(direction: str) -> Callable[[dict[str, Any]], bool]:
    return lambda e: e["event"] == "message" and e["direction"] == direction


def script(
    lines: Iterable[str], wait: threading.Event | None = None, timeout: float = STEP
) -> Iterator[str]:
    """A stand-in for stdin: the lines, then (optionally) a pause until ``wait`` is set, then EOF."""
    for line in lines:
        yield line + "\n"
    if wait is not None:
        wait.wait(timeout)


# -- a listener inside the test's loop --------------------------------------------------------------


class Listen:
    """``run_listen`` as an async context manager: ``async with Listen(echo=True) as srv``.

    ``srv.url`` is known once the listener is up; ``await srv.result()`` is run_listen's exit
    status (with ``once=True``, after the first WebSocket connection ends).
    """

    def __init__(self, *, record: Path | None = None, **options: Any) -> None:
        options.setdefault("once", True)
        options.setdefault("close_timeout", 2.0)
        self.opts = ListenOptions(host=HOST, port=0, **options)
        self.events = Events()
        self._fh = open(record, "w", encoding="utf-8") if record is not None else None  # noqa: SIM115
        self.recorder = CaptureWriter(self._fh, mode="listen") if self._fh is not None else None
        self.listener: Listener | None = None
        self.task: asyncio.Task[int] | None = None

    async def __aenter__(self) -> Listen:
        up: asyncio.Future[Listener] = asyncio.get_running_loop().create_future()
        self.task = asyncio.create_task(
            run_listen(self.opts, self.events, self.recorder, ready=lambda lst: up.set_result(lst))
        )
        done, _ = await asyncio.wait(
            {up, self.task}, timeout=STEP, return_when=asyncio.FIRST_COMPLETED
        )
        assert up in done, f"the listener did not start: {self.events.dump()}"
        self.listener = up.result()
        return self

    @property
    def url(self) -> str:
        assert self.listener is not None
        return self.listener.url

    @property
    def port(self) -> int:
        assert self.listener is not None
        return self.listener.address[1]

    async def result(self, timeout: float = STEP) -> int:
        assert self.task is not None
        return await asyncio.wait_for(asyncio.shield(self.task), timeout)

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            if self.listener is not None:
                if self.listener.server is not None:
                    self.listener.server.close()
                for live in list(self.listener.connections.values()):
                    await live.close_transport()
        if self._fh is not None:
            self._fh.close()


# -- a raw TCP client for crafted frames ------------------------------------------------------------


@dataclass
class RawClient:
    """A client that writes exact bytes: a handshake, then whatever frames a test builds."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    parser: FrameParser
    pending: list[WireFrame] = field(default_factory=list)

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), STEP)
        return cls(reader, writer, FrameParser(Role.SERVER))

    async def handshake(self, port: int, **kw: Any) -> bytes:
        request, _key = build_request(f"{HOST}:{port}", "/", **kw)
        self.send(request)
        head = await self.read_head()
        assert head.startswith(b"HTTP/1.1 101 "), head
        return head

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def read_head(self) -> bytes:
        data = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), STEP)
        return data

    async def read_http(self) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and the body up to EOF."""
        head = await self.read_head()
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await asyncio.wait_for(self.reader.read(), STEP)
        return status, headers, body

    async def read_frame(self, timeout: float = STEP) -> WireFrame | None:
        """The next frame from the server, or None at EOF (fails after ``timeout`` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.pending:
            self.pending.extend(self.parser.frames())
            if self.pending:
                break
            data = await asyncio.wait_for(
                self.reader.read(65536), max(deadline - loop.time(), 0.01)
            )
            if not data:
                return None
            self.parser.receive_data(data)
        return self.pending.pop(0)

    async def read_until_eof(self, timeout: float = STEP) -> list[WireFrame]:
        """Every frame the server sends until it closes TCP (fails if it does not within timeout)."""
        frames = []
        while True:
            frame = await self.read_frame(timeout)
            if frame is None:
                return frames
            frames.append(frame)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(asyncio.TimeoutError, OSError, ConnectionError):
            await asyncio.wait_for(self.writer.wait_closed(), 2.0)


def close_code(frame: WireFrame) -> int | None:
    assert frame.opcode_raw == 0x8, f"expected a close frame, got {frame.opcode_name}"
    return int.from_bytes(frame.payload[:2], "big") if len(frame.payload) >= 2 else None


# -- sockets ----------------------------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def ws_port(server: Any) -> int:
    return (
        server.sockets[0].getsockname()[1]
        if hasattr(server, "sockets")
        else server.socket.getsockname()[1]
    )


# -- recording --------------------------------------------------------------------------------------


def load_capture(path: Path) -> list[ConnectionInfo]:
    with open(path, "rb") as fh:  # raw data blocks (capture version 2) are bytes
        return read_capture(fh, str(path))


def stream(info: ConnectionInfo, direction: str) -> bytes:
    return b"".join(c.data for c in info.chunks if c.dir == direction)


# -- TLS --------------------------------------------------------------------------------------------


@dataclass
class Pki:
    ca: Path  #: CA certificate (PEM), what --cacert takes
    cert: Path  #: server certificate for 127.0.0.1 / localhost, signed by the CA
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wsdebug test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("pki")
    pki = Pki(d / "ca.pem", d / "server.pem", d / "server.key")
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki
