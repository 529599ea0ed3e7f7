"""Endpoints that do their own opening handshake (RFC 6455 §4), sans-I/O.

Theory of operation
-------------------
:class:`ClientConnection` and :class:`ServerConnection` are :class:`Connection`\\ s that start in
``State.CONNECTING``, shaped like websockets' ``ClientProtocol``/``ServerProtocol`` and
wsproto's ``WSConnection``: the caller moves bytes exactly as after the handshake
(``receive_data``, ``data_to_send``, ``events_received``).

- The client builds its request at construction, so the first ``data_to_send()`` is the
  request.  The response head is collected by the size-limited :class:`HeadReader`, checked by
  :func:`validate_response` (Accept, subprotocol, extensions) and
  :func:`~wsdebug.codec.deflate.accept_response`; a :class:`HandshakeEvent` says how it went.
  Accepted: the connection is OPEN with the negotiated deflate parameters, and the bytes after
  the head are fed to the frame decoder.  Rejected: it is CLOSED and the transport is to be
  closed.
- The server collects the request head and checks it with :func:`validate_request`.  A bad
  WebSocket request is answered 400 (426 for a wrong version, 431 for an oversized head).  A
  plain HTTP request (``HANDSHAKE_NOT_WEBSOCKET``) is the caller's to answer: a *pending*
  :class:`HandshakeEvent` is emitted and the caller calls :meth:`ServerConnection.reject`
  (any status, a page as body) or, for a WebSocket request held with ``auto_accept=False``,
  :meth:`ServerConnection.accept`.  Accepting picks the subprotocol (the client's first that
  the server supports) and the deflate parameters (:func:`~wsdebug.codec.deflate.negotiate`).

Frame offsets count from the first byte after the HTTP head; handshake problem offsets are
within the head.
"""

from __future__ import annotations

from collections.abc import Sequence

from .connection import DEFAULT_MAX_MESSAGE, Connection, State
from .deflate import DeflateParams, accept_response, client_offer, negotiate
from .events import HandshakeEvent
from .extensions import ExtensionError
from .handshake import (
    MAX_HANDSHAKE_SIZE,
    HeadReader,
    Request,
    Response,
    accept_key,
    build_error_response,
    build_request,
    build_response,
    parse_request,
    parse_response,
    validate_request,
    validate_response,
)
from .rules import Problem, Rule
from .spec import Role


class ClientConnection(Connection):
    """A client endpoint, from the opening handshake on.

    Args:
        host: the Host header (``host`` or ``host:port``).
        path: the resource name (path and query).
        subprotocols: offered in Sec-WebSocket-Protocol, in order of preference.
        deflate: offer permessage-deflate (as browsers do); ``deflate_offer`` overrides the value.
        origin: an Origin header.
        headers: extra headers; a Host or Origin among them replaces the default.
        key: the Sec-WebSocket-Key; None picks a random one (RFC 6455 §4.1).
        max_handshake: largest response head accepted.
    """

    def __init__(
        self,
        host: str,
        path: str = "/",
        *,
        subprotocols: Sequence[str] = (),
        deflate: bool = True,
        deflate_offer: str | None = None,
        origin: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
        key: str | None = None,
        max_handshake: int = MAX_HANDSHAKE_SIZE,
        max_message: int | None = DEFAULT_MAX_MESSAGE,
        lenient: bool = False,
        auto_pong: bool = True,
    ) -> None:
        super().__init__(Role.CLIENT, max_message=max_message, lenient=lenient, auto_pong=auto_pong)
        self.state = State.CONNECTING
        self.subprotocols = [subprotocols] if isinstance(subprotocols, str) else list(subprotocols)
        self.offer = (
            deflate_offer if deflate_offer is not None else client_offer() if deflate else None
        )
        raw, self.key = build_request(
            host,
            path,
            key=key,
            subprotocols=self.subprotocols,
            extensions=self.offer,
            origin=origin,
            headers=headers,
        )
        self.request: Request = parse_request(raw)
        self.response: Response | None = None
        self.subprotocol: str | None = None
        self.extensions: str | None = None
        self.handshake: HandshakeEvent | None = None  #: the final handshake event, once decided
        self._head = HeadReader(max_handshake)
        self._write_head(raw)

    def _receive_handshake(self, data: bytes) -> None:
        head = self._head.feed(data)
        expected = accept_key(self.key)
        if head is None:
            if self._head.too_big:
                problem = self._head.problem
                assert problem is not None
                self._end(
                    HandshakeEvent(self.request, None, [problem], False, accept_expected=expected)
                )
            return
        resp = self.response = parse_response(head)
        offers = [self.offer] if self.offer else []
        problems = validate_response(
            resp, key=self.key, offered_subprotocols=self.subprotocols, offered_extensions=offers
        )
        params: DeflateParams | None = None
        ext_lines = resp.lines("Sec-WebSocket-Extensions")
        if not problems and ext_lines and self.offer:
            try:
                params = accept_response(resp.extensions or "", self.offer)
            except ExtensionError as exc:
                problems.append(Problem(Rule.HANDSHAKE_EXTENSION, ext_lines[0].offset, str(exc)))
        leftover = self._head.leftover
        if problems:
            self._end(
                HandshakeEvent(
                    self.request,
                    resp,
                    problems,
                    False,
                    resp.status or None,
                    accept_expected=expected,
                    body=leftover,
                )
            )
            return
        self.subprotocol, self.extensions = resp.subprotocol, resp.extensions
        self._start(params)
        self.state = State.OPEN
        self.handshake = HandshakeEvent(
            self.request,
            resp,
            [],
            True,
            resp.status,
            self.subprotocol,
            self.extensions,
            params,
            expected,
        )
        self._events.append(self.handshake)
        if leftover:
            self._receive_frames(leftover)

    def _end(self, event: HandshakeEvent) -> None:
        """The handshake failed: report it and close the transport (no close frame: §4.1)."""
        self.handshake = event
        self._events.append(event)
        self.state = State.CLOSED
        self.should_close_transport = True


class ServerConnection(Connection):
    """A server endpoint, from the opening handshake on.

    Args:
        subprotocols: the subprotocols this server speaks; it picks the client's first one among
            them.
        deflate: agree to permessage-deflate when offered.
        deflate_window_bits: the largest LZ77 window agreed to (8..15).
        max_handshake: largest request head accepted (431 beyond it).
        auto_accept: answer a valid WebSocket request with 101 at once; when False, a pending
            :class:`HandshakeEvent` asks the caller to :meth:`accept` or :meth:`reject` it.

    Raises:
        ValueError: ``deflate_window_bits`` outside 8..15 (RFC 7692 §7.1.2).
    """

    def __init__(
        self,
        *,
        subprotocols: Sequence[str] = (),
        deflate: bool = True,
        deflate_window_bits: int = 15,
        max_handshake: int = MAX_HANDSHAKE_SIZE,
        auto_accept: bool = True,
        max_message: int | None = DEFAULT_MAX_MESSAGE,
        lenient: bool = False,
        auto_pong: bool = True,
    ) -> None:
        if not 8 <= deflate_window_bits <= 15:
            raise ValueError(f"deflate_window_bits must be 8..15, not {deflate_window_bits}")
        super().__init__(Role.SERVER, max_message=max_message, lenient=lenient, auto_pong=auto_pong)
        self.state = State.CONNECTING
        self.subprotocols = [subprotocols] if isinstance(subprotocols, str) else list(subprotocols)
        self.deflate_enabled = deflate
        self.deflate_window_bits = deflate_window_bits
        self.auto_accept = auto_accept
        self.request: Request | None = None
        self.request_problems: list[Problem] = []
        self.response: Response | None = None
        self.subprotocol: str | None = None
        self.extensions: str | None = None
        self.handshake: HandshakeEvent | None = None  #: the final handshake event, once decided
        self._head = HeadReader(max_handshake)
        self._held = bytearray()  # bytes after the head while the caller decides

    def _receive_handshake(self, data: bytes) -> None:
        if self.request is not None:  # decided by the caller, later
            self._held += data
            return
        head = self._head.feed(data)
        if head is None:
            if self._head.too_big:
                problem = self._head.problem
                assert problem is not None
                self.request_problems = [problem]
                body = f"handshake larger than {self._head.max_size} bytes\n"
                self.reject(431, "Request Header Fields Too Large", body)
            return
        req = self.request = parse_request(head)
        problems = self.request_problems = validate_request(req)
        self._held += self._head.leftover
        if any(p.rule is Rule.HANDSHAKE_NOT_WEBSOCKET for p in problems):
            self._events.append(HandshakeEvent(req, None, problems, False, pending=True))
        elif problems:
            version = any(p.rule is Rule.HANDSHAKE_WS_VERSION for p in problems)
            status, reason = (426, "Upgrade Required") if version else (400, "Bad Request")
            self.reject(status, reason, "".join(f"{p.message} ({p.rfc})\n" for p in problems))
        elif self.auto_accept:
            self.accept()
        else:
            self._events.append(
                HandshakeEvent(
                    req, None, [], False, pending=True, accept_expected=accept_key(req.key or "")
                )
            )

    @property
    def pending(self) -> bool:
        """A request is in and waits for the caller's :meth:`accept` or :meth:`reject`."""
        return self.state is State.CONNECTING and self.request is not None

    def select_subprotocol(self, offered: Sequence[str]) -> str | None:
        """The client's first offered subprotocol that this server speaks, or None."""
        return next((p for p in offered if p in self.subprotocols), None)

    def accept(self, headers: Sequence[tuple[str, str]] = ()) -> None:
        """Answer the pending WebSocket request with 101 and open the connection.

        Raises:
            RuntimeError: no valid WebSocket request is waiting for an answer.
        """
        req = self.request
        if self.state is not State.CONNECTING or req is None or self.request_problems:
            raise RuntimeError("no valid WebSocket request is waiting to be accepted")
        chosen = self.select_subprotocol(req.subprotocols)
        params = None
        if self.deflate_enabled and req.extensions:
            params = negotiate(req.extensions, max_window_bits=self.deflate_window_bits)
        ext_value = params.header_value() if params else None
        raw = build_response(req, subprotocol=chosen, extensions=ext_value, headers=headers)
        self._write_head(raw)
        self.response = parse_response(raw)
        self.subprotocol, self.extensions = chosen, ext_value
        self._start(params)
        self.state = State.OPEN
        self.handshake = HandshakeEvent(
            req, self.response, [], True, 101, chosen, ext_value, params, accept_key(req.key or "")
        )
        self._events.append(self.handshake)
        held = bytes(self._held)
        self._held.clear()
        if held:
            self._receive_frames(held)

    def reject(
        self,
        status: int = 400,
        reason: str = "Bad Request",
        body: str = "",
        *,
        content_type: str = "text/plain; charset=utf-8",
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Answer the request with an HTTP response (an error, or a page for a plain GET) and
        close: ``data_to_send()`` holds the response, then the transport is to be closed.

        Raises:
            RuntimeError: the handshake is already decided.
        """
        if self.state is not State.CONNECTING:
            raise RuntimeError(f"connection is {self.state.value}: the handshake is decided")
        raw = build_error_response(status, reason, body, content_type, headers)
        self._write_head(raw)
        self.response = parse_response(raw)
        self.handshake = HandshakeEvent(
            self.request, self.response, self.request_problems, False, status
        )
        self._events.append(self.handshake)
        self._held.clear()
        self.state = State.CLOSED
        self.should_close_transport = True


__all__ = ["ClientConnection", "ServerConnection"]
