"""``wsdebug test --client``: the Autobahn fuzzing server's role, for grading a client.

A client test driver written for Autobahn works unchanged:

- ``/getCaseCount``: one text message with the number of cases, then a close;
- ``/getCaseInfo?case=N``: ``{"id": ..., "description": ...}``;
- ``/runCase?case=N&agent=NAME``: case N (1-based) is run with wsdebug as the server (frames
  unmasked; the client is expected to echo messages, and wsdebug closes TCP at the end);
- ``/getCaseStatus?case=N&agent=NAME``: ``{"behavior": GRADE}`` once case N has finished;
- ``/updateReports?agent=NAME``: ends the run for that agent; its results are returned.

For groups 12 and 13 the answer to the client's permessage-deflate offer follows the case:
group 12 accepts the first offer as it stands; group 13 asks the client for no context takeover
and/or a smaller window, and declines (the case is UNIMPLEMENTED) when the client's offer does
not allow what the case asks, as Autobahn's accept functions do.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from wsdebug.codec.deflate import DeflateParams, ExtensionError, PerMessageDeflate, parse_extensions
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.handshake import (
    HeadReader,
    build_error_response,
    build_response,
    parse_request,
    validate_request,
)

from .cases import DEFLATE_OFFERS
from .grading import Case, Result, Trace, grade
from .runner import case_timeout
from .session import CaseSession

HANDSHAKE_TIMEOUT = 10.0


def server_accept(case: Case, offer_value: str | None) -> DeflateParams | None:
    """The permessage-deflate parameters wsdebug answers ``offer_value`` with for ``case``."""
    if not offer_value or case.group not in ("12", "13"):
        return None
    try:
        offers = [
            dict(params)
            for name, params in parse_extensions(offer_value)
            if name == "permessage-deflate"
        ]
    except ExtensionError:
        return None
    wanted = [(False, 0)]
    if case.group == "13":
        wanted = DEFLATE_OFFERS[int(case.id.split(".")[1]) - 1]
    for offer in offers:
        for no_takeover, bits in wanted:
            if no_takeover and "client_no_context_takeover" not in offer:
                continue
            if bits and "client_max_window_bits" not in offer:
                continue
            server_bits = offer.get("server_max_window_bits")
            try:
                sbits = int(server_bits) if server_bits else 15
            except ValueError:
                continue
            return DeflateParams(
                server_no_context_takeover="server_no_context_takeover" in offer,
                client_no_context_takeover=no_takeover or "client_no_context_takeover" in offer,
                server_max_window_bits=sbits,
                client_max_window_bits=bits or 15,
            )
    return None


class FuzzingServer:
    """Listen on ``host:port`` and run ``cases`` for every client that asks."""

    def __init__(
        self,
        cases: Sequence[Case],
        *,
        host: str = "127.0.0.1",
        port: int = 9001,
        timeout: float | None = None,
        agent: str | None = None,
    ) -> None:
        self.cases = list(cases)
        self.host, self.port, self.timeout = host, port, timeout
        self.agent = agent
        self.results: dict[str, dict[str, Result]] = {}
        self._done = asyncio.Event()
        self._finished = asyncio.Condition()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def wait_done(self) -> list[Result]:
        """Wait for ``/updateReports``; the results of that agent, in case order."""
        await self._done.wait()
        assert self._server is not None
        self._server.close()
        got = self.results.get(self.agent or "", {})
        return [got[c.id] for c in self.cases if c.id in got]

    # -- connections -------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        t0 = time.monotonic()
        head = HeadReader()
        while not head.done:
            data = await asyncio.wait_for(reader.read(65536), HANDSHAKE_TIMEOUT)
            if not data:
                writer.transport.abort()
                return
            head.feed(data)
        if head.head is None:
            writer.write(
                build_error_response(431, "Request Header Fields Too Large", "too large\n")
            )
            writer.close()
            return
        request = parse_request(head.head)
        problems = validate_request(request)
        if problems:
            writer.write(build_error_response(400, "Bad Request", f"{problems[0].message}\n"))
            writer.close()
            return
        target = urlsplit(request.target)
        query = {k: v[-1] for k, v in parse_qs(target.query).items()}
        agent = query.get("agent", "")
        case = self._case(query.get("case"))
        path = target.path.rstrip("/") or "/"
        if path == "/getCaseCount":
            await self._control(request, reader, writer, [json.dumps(len(self.cases))])
        elif path == "/getCaseInfo" and case is not None:
            await self._control(
                request,
                reader,
                writer,
                [json.dumps({"id": case.id, "description": case.description})],
            )
        elif path == "/getCaseStatus" and case is not None:
            result = await self._wait_result(agent, case)
            await self._control(
                request, reader, writer, [json.dumps({"behavior": result.grade.value})]
            )
        elif path == "/updateReports":
            await self._control(request, reader, writer, [])
            self.agent = agent or self.agent or ""
            self._done.set()
        elif path == "/runCase" and case is not None and agent:
            await self._run(case, agent, request, reader, writer, head.leftover, t0)
        else:
            writer.write(build_error_response(404, "Not Found", "unknown path, case or agent\n"))
            writer.close()

    def _case(self, value: str | None) -> Case | None:
        try:
            n = int(value or "")
        except ValueError:
            return None
        return self.cases[n - 1] if 1 <= n <= len(self.cases) else None

    async def _control(
        self,
        request: object,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        messages: list[str],
    ) -> None:
        """Accept, send ``messages`` as text, close, and wait briefly for the client's close."""
        writer.write(build_response(request))  # type: ignore[arg-type]
        for text in messages:
            writer.write(encode_frame(1, text.encode()))
        writer.write(encode_frame(8, (1000).to_bytes(2, "big")))
        await writer.drain()
        try:
            await asyncio.wait_for(reader.read(65536), 2.0)
        finally:
            writer.transport.abort()

    async def _wait_result(self, agent: str, case: Case) -> Result:
        async with self._finished:
            await self._finished.wait_for(lambda: case.id in self.results.get(agent, {}))
        return self.results[agent][case.id]

    async def _run(
        self,
        case: Case,
        agent: str,
        request: object,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        leftover: bytes,
        t0: float,
    ) -> None:
        trace = Trace(is_server=True)
        params = server_accept(case, getattr(request, "extensions", None))
        extensions = params.header_value() if params else None
        writer.write(build_response(request, extensions=extensions))  # type: ignore[arg-type]
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        trace.opened = True
        trace.deflate = extensions
        deflate = PerMessageDeflate(params, is_client=False) if params else None
        out = PerMessageDeflate(params, is_client=True) if params else None
        session = CaseSession(
            case,
            reader,
            writer,
            is_client=False,
            trace=trace,
            leftover=leftover,
            deflate=deflate,
            out_deflate=out,
            t0=t0,
        )
        await session.run(case_timeout(case, self.timeout))
        trace.duration = time.monotonic() - t0
        result = grade(case, trace)
        async with self._finished:
            self.results.setdefault(agent, {})[case.id] = result
            self._finished.notify_all()
