"""The interactive prompt driven for real: keystrokes in, exact bytes out on a real socket.

prompt-toolkit reads from a pipe (``create_pipe_input``) and draws to a ``DummyOutput``; the
server on 127.0.0.1 is a byte-level WebSocket peer that records everything the client sends,
so each command is checked against the frames that actually crossed the wire.  The last test
runs ``wsdebug connect`` on a pseudo-terminal with pexpect.

No pytest-asyncio: each test is one ``asyncio.run`` with a hard timeout (:func:`arun`), and
every wait inside has its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application.current import create_app_session
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.shortcuts import PromptSession
from rich.console import Console

from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import build_response, parse_request
from wsdebug.codec.spec import Opcode, Role
from wsdebug.codec.stream import FrameRecord, StreamDecoder
from wsdebug.live.client import ClientOptions, open_client
from wsdebug.live.listener import Listener, ListenOptions
from wsdebug.live.run import run_connect, run_listen
from wsdebug.ui import session as session_mod
from wsdebug.ui.live_view import RichReporter
from wsdebug.ui.session import history_path, interactive_connect, interactive_listen, prompt_loop
from wsdebug.ui.theme import THEME

HOST = "127.0.0.1"
STEP = 10.0  #: the longest any single wait may take
ENTER = "\r"
CTRL_C = "\x03"
CTRL_D = "\x04"


def arun(coro: Any, timeout: float = 20.0) -> Any:
    """Run one coroutine on a fresh loop, failing (not hanging) after ``timeout`` seconds."""

    async def main() -> Any:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(main())


async def until(pred: Callable[[], bool], what: str, timeout: float = STEP) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not pred():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)


# -- a byte-level server -----------------------------------------------------------------------------


class RawServer:
    """A WebSocket server written at byte level, for checking exactly what a client sends.

    It completes the opening handshake (wsdebug's own parse_request / build_response), then keeps
    every byte the client sends (``received``) and decodes it as it arrives (``frames``).  When
    a close frame comes in it answers with a close carrying the same code and ends TCP, as a
    server should (RFC 6455 §7.1.1).  ``send`` writes server frames (unmasked) to the client.
    """

    def __init__(self) -> None:
        self.received = bytearray()
        self.frames: list[FrameRecord] = []
        self._decoder = StreamDecoder(Role.CLIENT)
        self.writer: asyncio.StreamWriter | None = None
        self.server: asyncio.Server | None = None
        self.done = asyncio.Event()

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._handle, HOST, 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        if self.writer is not None:
            self.writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"ws://{HOST}:{self.server.sockets[0].getsockname()[1]}/"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP)
            writer.write(build_response(parse_request(head)))
            self.writer = writer
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                self.received += data
                for rec in self._decoder.receive_data(data):
                    self.frames.append(rec)
                    if rec.frame.opcode_raw == Opcode.CLOSE:
                        writer.write(encode_frame(Opcode.CLOSE, rec.frame.payload[:2]))
                        await writer.drain()
                        writer.close()
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            self.done.set()

    def send(self, data: bytes) -> None:
        assert self.writer is not None, "no client connected"
        self.writer.write(data)

    async def frames_after(self, count: int, what: str) -> list[FrameRecord]:
        """Wait until more than ``count`` frames came in; return the new ones."""
        await until(lambda: len(self.frames) > count, what)
        await asyncio.sleep(0.05)  # let a multi-frame command finish arriving
        return self.frames[count:]

    def wire(self, rec: FrameRecord) -> bytes:
        """The exact bytes of one received frame."""
        return bytes(self.received[rec.frame.offset : rec.frame.end])


# -- the prompt on a pipe -----------------------------------------------------------------------------


def console(width: int = 100) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    con = Console(
        file=buf,
        width=width,
        color_system=None,
        theme=THEME,
        markup=False,
        highlight=False,
        emoji=False,
    )
    return con, buf


def reporter_for(con: Console, detail: str = "summary", **kw: Any) -> RichReporter:
    """A RichReporter whose errors land in the same buffer as its frames.

    Errors normally go to stderr at once (after drawing what is queued, so the order holds);
    here they go to a console like ``con`` on the same file, so a test reads one transcript.
    """
    rep = RichReporter(con, detail, **kw)
    rep.err_console = Console(
        file=con.file,
        width=con.width,
        force_terminal=con.is_terminal,
        color_system=con.color_system,
        theme=THEME,
        markup=False,
        highlight=False,
        emoji=False,
    )
    return rep


@contextlib.contextmanager
def keyboard() -> Iterator[Any]:
    """A pipe as the terminal's keyboard, and nowhere to draw: prompt-toolkit's test set-up."""
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        yield keys


def pipe_session(keys: Any) -> PromptSession[str]:
    return PromptSession(input=keys, output=DummyOutput(), history=InMemoryHistory())


@contextlib.asynccontextmanager
async def connected(server: RawServer, reporter: RichReporter) -> AsyncIterator[Any]:
    """A wsdebug client connected to ``server``, its pump running."""
    live = await open_client(server.url, ClientOptions(deflate=False, close_timeout=2.0), reporter)
    pump = asyncio.create_task(live.pump())
    try:
        yield live
    finally:
        if not pump.done():
            await live.close_transport()
        await asyncio.wait_for(asyncio.gather(pump, return_exceptions=True), STEP)


def typed(keys: Any, line: str) -> None:
    keys.send_text(line + ENTER)


# -- every command, through the whole connect path ------------------------------------------------------


def test_every_command_sends_the_right_bytes() -> None:
    """``run_connect`` + ``interactive_connect`` as ``wsdebug connect`` on a terminal runs them."""

    async def main() -> None:
        con, out = console()
        reporter = reporter_for(con)
        drawer = asyncio.create_task(reporter.run())
        async with RawServer() as server:
            with keyboard() as keys:
                task = asyncio.create_task(
                    run_connect(
                        server.url,
                        ClientOptions(deflate=False, close_timeout=2.0),
                        reporter,
                        interactive=interactive_connect(reporter, con),
                    )
                )
                await until(lambda: server.writer is not None, "the handshake")

                n = len(server.frames)
                typed(keys, "hello")
                (rec,) = await server.frames_after(n, "the text message")
                f = rec.frame
                assert (f.opcode_raw, f.fin, f.payload) == (Opcode.TEXT, True, b"hello")
                assert f.masked and f.mask_key is not None and len(f.mask_key) == 4
                assert server.wire(rec)[-5:] == bytes(
                    b ^ f.mask_key[i % 4] for i, b in enumerate(b"hello")
                )
                assert rec.ok, rec.problems

                n = len(server.frames)
                typed(keys, "/binary 01 02")
                (rec,) = await server.frames_after(n, "the binary message")
                assert (rec.frame.opcode_raw, rec.frame.fin, rec.frame.payload) == (
                    Opcode.BINARY,
                    True,
                    b"\x01\x02",
                )
                assert rec.frame.masked and rec.ok

                n = len(server.frames)
                typed(keys, "/ping hi")
                (rec,) = await server.frames_after(n, "the ping")
                assert (rec.frame.opcode_raw, rec.frame.payload) == (Opcode.PING, b"hi")
                assert rec.frame.masked and rec.ok

                n = len(server.frames)
                typed(keys, "/pong x")
                (rec,) = await server.frames_after(n, "the pong")
                assert (rec.frame.opcode_raw, rec.frame.payload) == (Opcode.PONG, b"x")
                assert rec.frame.masked and rec.ok

                n, at = len(server.frames), len(server.received)
                typed(keys, "/raw 81 05 48 65 6c 6c 6f")
                (rec,) = await server.frames_after(n, "the raw bytes")
                assert (
                    bytes(server.received[at:]) == b"\x81\x05Hello"
                )  # exactly those bytes, unmasked
                assert (
                    not rec.frame.masked and rec.problems
                )  # a server must refuse it: that is the point

                n = len(server.frames)
                typed(keys, "/frag 3 abcdef")
                await until(lambda: len(server.frames) >= n + 3, "three fragments")
                frags = server.frames[n:]
                assert [(r.frame.opcode_raw, r.frame.fin) for r in frags] == [
                    (Opcode.TEXT, False),
                    (Opcode.CONT, False),
                    (Opcode.CONT, True),
                ]
                assert b"".join(r.frame.payload for r in frags) == b"abcdef"
                assert all(r.frame.masked for r in frags)
                assert frags[-1].message is not None and frags[-1].message.payload == b"abcdef"
                assert frags[-1].message.frames == 3

                n = len(server.frames)
                typed(keys, "//slash")
                (rec,) = await server.frames_after(n, "the escaped text")
                assert rec.frame.payload == b"/slash"

                # local commands send nothing
                n, at = len(server.frames), len(server.received)
                assert reporter.detail == "summary"
                typed(keys, "/detail bytes")
                await until(lambda: reporter.detail == "bytes", "/detail bytes")
                typed(keys, "/help")
                typed(keys, "/nonsense")
                typed(keys, "/binary 01 zz")
                typed(keys, "/ping " + "p" * 126)
                await until(lambda: "/ping: control frame" in out.getvalue(), "the last error")
                assert "commands:" in out.getvalue() and "/frag N TEXT" in out.getvalue()
                assert "unknown command /nonsense" in out.getvalue()
                assert "/binary: column 12: 'z' is not a hex digit" in out.getvalue()

                # with detail bytes, the next frame is drawn with its hex dump and the unmasking
                typed(keys, "after")
                (rec,) = await server.frames_after(n, "the text after /detail")
                assert rec.frame.payload == b"after"
                assert bytes(server.received[at:]) == server.wire(rec)  # nothing else was written

                keys.send_text(CTRL_D)
                status = await asyncio.wait_for(task, STEP)
                (rec,) = server.frames[-1:]
                assert rec.frame.opcode_raw == Opcode.CLOSE and rec.close is not None
                assert (rec.close.code, rec.close.reason) == (1000, "")
                assert status == 1  # a clean close, but the unmasked /raw frame was a problem
        drawer.cancel()
        await asyncio.gather(drawer, return_exceptions=True)
        text = out.getvalue()
        assert "detail: bytes" in text
        # one transcript, in the order things happened: queued lines, /help, then the errors
        assert (
            text.index("detail: bytes")
            < text.index("commands:")
            < text.index("unknown command /nonsense")
        )
        assert text.index('"/slash"') < text.index("detail: bytes")
        assert "Unmasking" in text and "Hex dump" in text  # the /detail took effect on the drawing
        assert '"hello"' in text and "PING" in text and "PONG" in text and "BINARY" in text
        assert "closed 1000" in text and "the client started it, clean" in text

    arun(main())


# -- closing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys_in", "code", "reason"),
    [
        ("/close 4000 bye" + ENTER, 4000, "bye"),
        ("/close" + ENTER, 1000, ""),
        ("/quit" + ENTER, 1000, ""),
        (CTRL_D, 1000, ""),
        (CTRL_C, 1000, ""),
        ("half a line" + CTRL_C, 1000, ""),  # Ctrl-C with text typed: still a clean close
    ],
    ids=["close-4000", "close", "quit", "ctrl-d", "ctrl-c", "ctrl-c-mid-line"],
)
def test_closing_is_clean(keys_in: str, code: int, reason: str) -> None:
    async def main() -> None:
        con, out = console()
        reporter = reporter_for(con)
        async with RawServer() as server, connected(server, reporter) as live:
            with keyboard() as keys:
                loop = asyncio.create_task(
                    prompt_loop(
                        reporter, lambda: [live], lambda: [live], session=pipe_session(keys)
                    )
                )
                keys.send_text(keys_in)
                await asyncio.wait_for(live.closed.wait(), STEP)
                if not loop.done():  # /close keeps the prompt open; nothing is left to close
                    keys.send_text(CTRL_D)
                await asyncio.wait_for(loop, STEP)
            closes = [r for r in server.frames if r.frame.opcode_raw == Opcode.CLOSE]
            assert len(closes) == 1, "exactly one close frame"
            assert closes[0].close is not None
            assert (closes[0].close.code, closes[0].close.reason) == (code, reason)
            assert not [
                r for r in server.frames if r.frame.opcode_raw == Opcode.TEXT
            ]  # nothing half-typed sent
            ev = live.close_event
            assert ev is not None and ev.clean and ev.code == code and ev.initiator is Role.CLIENT
        assert f"closed {code}" in out.getvalue()

    arun(main())


def test_sending_after_the_peer_closed_is_an_error_not_a_crash() -> None:
    async def main() -> None:
        con, out = console()
        reporter = reporter_for(con)
        async with RawServer() as server, connected(server, reporter) as live:
            with keyboard() as keys:
                loop = asyncio.create_task(
                    prompt_loop(
                        reporter, lambda: [live], lambda: [live], session=pipe_session(keys)
                    )
                )
                server.send(encode_frame(Opcode.CLOSE, (1001).to_bytes(2, "big") + b"bye"))
                await asyncio.wait_for(live.closed.wait(), STEP)
                typed(keys, "too late")
                await until(lambda: "no open connection" in out.getvalue(), "the error")
                keys.send_text(CTRL_D)
                await asyncio.wait_for(loop, STEP)
        assert live.close_event is not None and live.close_event.initiator is Role.SERVER

    arun(main())


# -- frames arrive while a line is being typed ----------------------------------------------------------


def test_incoming_frames_appear_while_a_line_is_typed() -> None:
    async def main() -> None:
        con, out = console()
        reporter = reporter_for(con)
        drawer = asyncio.create_task(reporter.run())  # drawing in rounds, as the CLI does
        async with RawServer() as server, connected(server, reporter) as live:
            with keyboard() as keys:
                session = pipe_session(keys)
                loop = asyncio.create_task(
                    prompt_loop(reporter, lambda: [live], lambda: [live], session=session)
                )
                keys.send_text("half a li")
                await until(
                    lambda: session.default_buffer.text == "half a li",
                    "the typed text in the buffer",
                )
                for i in range(3):
                    server.send(encode_frame(Opcode.TEXT, f"incoming {i}".encode()))
                server.send(encode_frame(Opcode.PING, b"are you there"))
                await until(lambda: '"incoming 2"' in out.getvalue(), "the incoming frames drawn")
                await until(
                    lambda: any(r.frame.opcode_raw == Opcode.PONG for r in server.frames),
                    "the pong",
                )
                # the half-typed line is still there, untouched, and nothing of it was sent
                assert session.default_buffer.text == "half a li"
                assert not [r for r in server.frames if r.frame.opcode_raw == Opcode.TEXT]
                n = len(server.frames)
                keys.send_text("ne, finished" + ENTER)
                (rec,) = await server.frames_after(n, "the finished line")
                assert (rec.frame.opcode_raw, rec.frame.payload) == (
                    Opcode.TEXT,
                    b"half a line, finished",
                )
                keys.send_text(CTRL_D)
                await asyncio.wait_for(loop, STEP)
        drawer.cancel()
        await asyncio.gather(drawer, return_exceptions=True)
        text = out.getvalue()
        for i in range(3):
            assert f'"incoming {i}"' in text
        assert text.index('"incoming 0"') < text.index('"half a line, finished"')

    arun(main())


# -- listen: /list, /to, /all ----------------------------------------------------------------------------


def test_listen_list_to_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``run_listen`` + ``interactive_listen`` (the CLI's own prompt, file history and all)."""
    from websockets.asyncio.client import connect

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    async def main() -> None:
        con, out = console()
        reporter = reporter_for(con)
        with keyboard() as keys:
            up: asyncio.Future[Listener] = asyncio.get_running_loop().create_future()
            task = asyncio.create_task(
                run_listen(
                    ListenOptions(host=HOST, port=0, close_timeout=2.0),
                    reporter,
                    ready=up.set_result,
                    interactive=interactive_listen(reporter, con),
                )
            )
            listener = await asyncio.wait_for(up, STEP)
            async with connect(listener.url, open_timeout=STEP, close_timeout=2.0) as ws1:
                await until(lambda: len(listener.open_connections()) == 1, "c1")
                async with connect(listener.url, open_timeout=STEP, close_timeout=2.0) as ws2:
                    await until(lambda: len(listener.open_connections()) == 2, "c2")
                    assert sorted(listener.connections) == ["c1", "c2"]
                    ports = {
                        cid: int(live.peer.rsplit(":", 1)[1])
                        for cid, live in listener.connections.items()
                    }
                    assert ports == {"c1": ws1.local_address[1], "c2": ws2.local_address[1]}

                    typed(keys, "/list")
                    await until(lambda: "c2  127.0.0.1:" in out.getvalue(), "/list")
                    text = out.getvalue()
                    assert f"c1  127.0.0.1:{ports['c1']}  open" in text
                    assert f"c2  127.0.0.1:{ports['c2']}  open" in text

                    typed(keys, "/to c9")
                    await until(lambda: "no connection c9" in out.getvalue(), "/to c9 refused")
                    typed(keys, "/to c2")
                    await until(lambda: "sending to c2" in out.getvalue(), "/to c2")
                    typed(keys, "only for c2")
                    assert await asyncio.wait_for(ws2.recv(), STEP) == "only for c2"
                    typed(keys, "/all")
                    await until(lambda: "sending to every connection" in out.getvalue(), "/all")
                    typed(keys, "for everyone")
                    # c1's first message is the broadcast: "only for c2" never reached it
                    assert await asyncio.wait_for(ws1.recv(), STEP) == "for everyone"
                    assert await asyncio.wait_for(ws2.recv(), STEP) == "for everyone"

                    keys.send_text(CTRL_D)  # closes both, cleanly
                    status = await asyncio.wait_for(task, STEP)
                    await asyncio.wait_for(ws1.wait_closed(), STEP)
                    await asyncio.wait_for(ws2.wait_closed(), STEP)
                    assert (ws1.close_code, ws2.close_code) == (1000, 1000)
                    assert status == 0
        history = (tmp_path / "wsdebug" / "history").read_text(encoding="utf-8")
        assert "only for c2" in history and "/to c2" in history

    arun(main())


# -- history ------------------------------------------------------------------------------------------


def test_history_path_respects_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert history_path() == tmp_path / "data" / "wsdebug" / "history"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert history_path() == tmp_path / "home" / ".local" / "share" / "wsdebug" / "history"
    monkeypatch.setenv("XDG_DATA_HOME", "")  # empty means unset (XDG Base Directory spec)
    assert history_path() == tmp_path / "home" / ".local" / "share" / "wsdebug" / "history"


def test_default_session_keeps_history_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))

    async def main() -> None:
        con, _ = console()
        reporter = reporter_for(con)
        async with RawServer() as server, connected(server, reporter) as live:
            with keyboard() as keys:
                loop = asyncio.create_task(prompt_loop(reporter, lambda: [live], lambda: [live]))
                typed(keys, "remember me")
                await until(lambda: bool(server.frames), "the message")
                keys.send_text(CTRL_D)
                await asyncio.wait_for(loop, STEP)

    arun(main())
    assert "+remember me" in (tmp_path / "xdg" / "wsdebug" / "history").read_text(encoding="utf-8")


def test_unwritable_data_dir_falls_back_to_memory_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    session = session_mod._session(lambda: "")
    assert type(session.history).__name__ == "InMemoryHistory"


# -- a real terminal ----------------------------------------------------------------------------------


@pytest.fixture
def echo_server() -> Iterator[int]:
    """A websockets echo server in a thread; "push" also gets a second message a second later."""
    from websockets.sync.server import serve

    def handler(ws: Any) -> None:
        for msg in ws:
            ws.send(msg)
            if msg == "push":
                time.sleep(1.0)
                ws.send("pushed by the server")

    with serve(handler, HOST, 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.socket.getsockname()[1]
        server.shutdown()
        thread.join(5)


SGR = r"(?:\x1b\[[0-9;]*m)*"  #: colour codes rich puts around the payload text


def received(text: str) -> str:
    """A regex for the summary line of a received text frame, colours or not."""
    return r'←[^\n]*"' + SGR + re.escape(text) + SGR + '"'


class Terminal:
    """A pexpect child that answers cursor position requests, as a real terminal does.

    prompt-toolkit asks where the cursor is (``ESC [6n``) before drawing a prompt; without an
    answer it cannot know the screen's height and leaves the bottom toolbar out.
    """

    CPR = "\x1b[6n"

    def __init__(self, child: Any) -> None:
        self.child = child

    def expect(self, pattern: Any) -> None:
        while True:
            if self.child.expect([re.escape(self.CPR), pattern]) == 1:
                return
            self.child.send("\x1b[40;1R")  # the bottom row of a 40-row screen

    def send(self, text: str) -> None:
        self.child.send(text)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_connect_on_a_pty(echo_server: int, tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    exe = Path(sys.executable).with_name("wsdebug")
    cmd = str(exe) if exe.exists() else shutil.which("wsdebug")
    assert cmd, "the wsdebug console script is not installed"
    env = {**os.environ, "TERM": "xterm", "XDG_DATA_HOME": str(tmp_path)}
    for name in ("NO_COLOR", "PROMPT_TOOLKIT_NO_CPR", "FORCE_COLOR"):
        env.pop(name, None)
    child = pexpect.spawn(
        cmd,
        ["connect", f"ws://{HOST}:{echo_server}/"],
        env=env,
        dimensions=(40, 120),
        encoding="utf-8",
        timeout=STEP,
    )
    term = Terminal(child)
    try:
        term.expect("ws>")  # prompt-toolkit draws the trailing space as a cursor move
        term.expect(
            r"c1 OPEN · in \d+ fr/[\d,]+ B · out \d+ fr/[\d,]+ B · permessage-deflate.*\(/help\)"
        )  # toolbar
        term.send("hello" + ENTER)
        term.expect(received("hello"))  # the echo, drawn above the prompt

        # a frame that arrives while a line is half typed is drawn, and the line survives
        term.send("push" + ENTER)
        term.expect(received("push"))
        term.send("half ")
        term.expect(received("pushed by the server"))
        term.expect(
            r"ws>(?:\s|\x1b\[[0-9;?]*[A-Za-z])*half"
        )  # the prompt redrawn below, with the text typed so far
        term.send("typed" + ENTER)
        term.expect(received("half typed"))

        term.send("/nonsense" + ENTER)
        term.expect("unknown command /nonsense")
        term.send("\x04")  # Ctrl-D
        term.expect(r"closed 1000 normal closure" + SGR + " — the client started it, clean")
        term.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    history = (tmp_path / "wsdebug" / "history").read_text(encoding="utf-8")
    assert "+hello" in history and "+half typed" in history
