"""The RFC 6455 §4 opening handshake, sans-I/O, with every header line annotated.

Theory of operation: :class:`HeadReader` buffers bytes until the empty line ending an HTTP
head and keeps what follows in ``leftover`` (already WebSocket frames, for the frame parser).
:func:`parse_request` / :func:`parse_response` split the head into a start line and
:class:`HeaderLine`s carrying the exact byte ``offset``/``size`` of each line (CRLF included)
and a ``meaning`` in words.  Parsing never raises: malformed input becomes a ``Problem``
(HANDSHAKE_MALFORMED) and parsing carries on.  :func:`validate_request` /
:func:`validate_response` apply RFC 6455 §4.1/§4.2.1; each problem points at the offending line
(or the start line when a header is missing) and is attached to that line and the message.
They return parse + validation problems, so ``[]`` means a good handshake.  ``build_*`` (in :mod:`wsdebug.codec.build`) make
the bytes for the other side: a request, a 101 with the right Sec-WebSocket-Accept, an error.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from wsdebug.codec.accept import AcceptSteps, accept_key, accept_steps, key_problem, make_key
from wsdebug.codec.build import (
    WS_VERSION,
    build_error_response,
    build_request,
    build_response,
)
from wsdebug.codec.extensions import ExtensionError, extension_names
from wsdebug.codec.headers import NOT_USED, header_meaning
from wsdebug.codec.rules import Problem, Rule
from wsdebug.codec.spec import GUID, HTTP_TOKEN

MAX_HANDSHAKE_SIZE = 16384

_END = re.compile(rb"\r?\n\r?\n")  # the empty line ending a head (bare LF tolerated, then flagged)
_TOKEN = re.compile(HTTP_TOKEN)
_HTTP_VERSION = re.compile(r"HTTP/([0-9])\.([0-9])")
_STATUS = re.compile(r"[0-9]{3}")
_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_LIST_ITEM = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')  # comma-list element, quotes respected
_MAL = Rule.HANDSHAKE_MALFORMED

__all__ = [  # the names this module has always offered, some now defined next door
    "MAX_HANDSHAKE_SIZE",
    "NOT_USED",
    "AcceptSteps",
    "HeadReader",
    "HeaderLine",
    "Request",
    "Response",
    "accept_key",
    "accept_steps",
    "build_error_response",
    "build_request",
    "build_response",
    "header_meaning",
    "key_problem",
    "make_key",
    "parse_request",
    "parse_response",
    "validate_request",
    "validate_response",
]


@dataclass
class HeaderLine:
    """One header line; ``offset``/``size`` cover the whole line incl. CRLF in the raw head."""

    name: str
    value: str
    offset: int
    size: int
    meaning: str = ""
    problems: list[Problem] = field(default_factory=list)


def _list(value: str) -> list[str]:
    """Elements of an HTTP comma list (RFC 7230 §7), stripped, empty ones dropped."""
    return [s for s in (m.strip(" \t") for m in _LIST_ITEM.findall(value)) if s]


class _Head:
    headers: list[HeaderLine]
    problems: list[Problem]

    def lines(self, name: str) -> list[HeaderLine]:
        """Every line of header ``name`` (case-insensitive), in order."""
        lname = name.lower()
        return [h for h in self.headers if h.name.lower() == lname]

    def get(self, name: str) -> str | None:
        """Header value, repeated headers joined with ', ' (RFC 7230 §3.2.2)."""
        found = self.lines(name)
        return ", ".join(h.value for h in found) if found else None

    def tokens(self, name: str) -> list[str]:
        """Lower-cased comma-list elements of every ``name`` header."""
        return [t.lower() for h in self.lines(name) for t in _list(h.value)]

    @property
    def is_websocket(self) -> bool:
        return "websocket" in self.tokens("Upgrade")

    @property
    def extensions(self) -> str | None:
        return self.get("Sec-WebSocket-Extensions")


@dataclass
class Request(_Head):
    method: str
    target: str
    version: str
    request_line_size: int
    headers: list[HeaderLine]
    raw: bytes  #: the head incl. the final CRLF CRLF
    problems: list[Problem]
    request_line_offset: int = 0  #: non-zero only if empty lines precede the request line

    @property
    def key(self) -> str | None:
        found = self.lines("Sec-WebSocket-Key")
        return found[0].value if found else None

    @property
    def subprotocols(self) -> list[str]:
        return [t for h in self.lines("Sec-WebSocket-Protocol") for t in _list(h.value)]


@dataclass
class Response(_Head):
    version: str
    status: int
    reason: str
    status_line_size: int
    headers: list[HeaderLine]
    raw: bytes
    problems: list[Problem]
    status_line_offset: int = 0

    @property
    def accept(self) -> str | None:
        return self.get("Sec-WebSocket-Accept")

    @property
    def subprotocol(self) -> str | None:
        return self.get("Sec-WebSocket-Protocol")


class HeadReader:
    """Collects bytes until the end of an HTTP head; keeps the bytes after it in ``leftover``."""

    def __init__(self, max_size: int = MAX_HANDSHAKE_SIZE) -> None:
        self.max_size = max_size
        self.head: bytes | None = None
        self.leftover = b""
        self.too_big = False
        self._buf = bytearray()

    @property
    def done(self) -> bool:
        return self.head is not None or self.too_big

    @property
    def buffered(self) -> bytes:
        """Bytes of an unfinished (or too big, truncated to ``max_size``) head."""
        return bytes(self._buf)

    @property
    def problem(self) -> Problem | None:
        """HANDSHAKE_TOO_BIG once ``too_big``."""
        detail = f"no end of head within {self.max_size} bytes"
        return Problem(Rule.HANDSHAKE_TOO_BIG, self.max_size, detail) if self.too_big else None

    def feed(self, data: bytes) -> bytes | None:
        """Returns the head on the call that completes it, else None; later bytes go to leftover."""
        if self.head is not None:
            self.leftover += bytes(data)
            return None
        if self.too_big:
            return None
        start = max(0, len(self._buf) - 3)
        self._buf += data
        m = _END.search(self._buf, start)
        if m and m.end() <= self.max_size:
            self.head, self.leftover = bytes(self._buf[: m.end()]), bytes(self._buf[m.end() :])
            self._buf.clear()
            return self.head
        if m or len(self._buf) >= self.max_size:
            self.too_big = True
            del self._buf[self.max_size :]
        return None


_Line = tuple[int, int, str, list[Problem]]  # offset, size, text without CRLF, line problems


def _split_head(head: bytes) -> tuple[bytes, list[_Line], list[Problem]]:
    problems: list[Problem] = []
    m = _END.search(head)
    end = m.end() if m else len(head)
    if not m:
        problems.append(Problem(_MAL, len(head), "no empty line ends the head"))
    lines: list[_Line] = []
    pos = 0
    while pos < end:
        nl = head.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        body = head[pos:stop] if nl < 0 else head[pos:nl]
        line_problems: list[Problem] = []
        if nl >= 0:
            if body.endswith(b"\r"):
                body = body[:-1]
            else:
                line_problems.append(Problem(_MAL, nl, "line ends with a bare LF instead of CRLF"))
        if body:
            lines.append((pos, stop - pos, body.decode("latin-1"), line_problems))
        else:
            problems.extend(line_problems)
            if stop < end:
                problems.append(Problem(_MAL, pos, "empty line before the start line"))
        pos = stop
    return head[:end], lines, problems


def _headers(lines: list[_Line], problems: list[Problem], *, response: bool) -> list[HeaderLine]:
    out: list[HeaderLine] = []
    for off, size, text, line_problems in lines:
        line = HeaderLine("", text, off, size, problems=list(line_problems))
        if text[0] in " \t":
            line.value = text.strip(" \t")
            line.problems.append(Problem(_MAL, off, "continuation line (obsolete line folding)"))
        elif ":" not in text:
            line.problems.append(Problem(_MAL, off, f"header line without ':': {text!r}"))
        else:
            name, _, value = text.partition(":")
            line.name, line.value = name.strip(" \t"), value.strip(" \t")
            if not _TOKEN.fullmatch(name):
                line.problems.append(Problem(_MAL, off, f"header name {name!r} is not a token"))
            line.meaning = header_meaning(line.name, response=response)
        bad = _CTL.search(text)
        if bad:
            line.problems.append(Problem(_MAL, off + bad.start(), f"control character {bad[0]!r}"))
        problems.extend(line.problems)
        out.append(line)
    return out


def _check_version(version: str, at: int, problems: list[Problem]) -> None:
    if not _HTTP_VERSION.fullmatch(version):
        problems.append(Problem(_MAL, at, f"HTTP version {version!r} is not HTTP/x.y"))


def parse_request(head: bytes) -> Request:
    """Parse a request head into annotated lines; never raises."""
    raw, lines, problems = _split_head(bytes(head))
    method = target = version = ""
    off = size = 0
    if not lines:
        problems.append(Problem(_MAL, 0, "no request line"))
    else:
        off, size, text, line_problems = lines.pop(0)
        problems.extend(line_problems)
        parts = text.split(" ")
        if len(parts) != 3 or not all(parts):
            detail = f"request line {text!r} is not 'METHOD target HTTP/x.y'"
            problems.append(Problem(_MAL, off, detail))
            parts = text.split()
        method = parts[0] if parts else ""
        version = parts[-1] if len(parts) > 2 else ""
        target = " ".join(parts[1:-1]) if len(parts) > 2 else " ".join(parts[1:])
        if method and not _TOKEN.fullmatch(method):
            problems.append(Problem(_MAL, off, f"method {method!r} is not a token"))
        _check_version(version, off + (text.rfind(version) if version else len(text)), problems)
    headers = _headers(lines, problems, response=False)
    return Request(method, target, version, size, headers, raw, problems, off)


def parse_response(head: bytes) -> Response:
    """Parse a response head into annotated lines; never raises."""
    raw, lines, problems = _split_head(bytes(head))
    version = reason = ""
    status = off = size = 0
    if not lines:
        problems.append(Problem(_MAL, 0, "no status line"))
    else:
        off, size, text, line_problems = lines.pop(0)
        problems.extend(line_problems)
        parts = text.split(" ", 2)
        version = parts[0]
        code = parts[1] if len(parts) > 1 else ""
        reason = parts[2] if len(parts) > 2 else ""
        _check_version(version, off, problems)
        if _STATUS.fullmatch(code):
            status = int(code)
        else:
            detail = f"status code {code!r} is not 3 digits"
            problems.append(Problem(_MAL, off + min(len(version) + 1, len(text)), detail))
    headers = _headers(lines, problems, response=True)
    return Response(version, status, reason, size, headers, raw, problems, off)


def _flag(found: list[Problem], rule: Rule, at: HeaderLine | int, detail: str) -> None:
    if isinstance(at, HeaderLine):
        problem = Problem(rule, at.offset, detail)
        if problem not in at.problems:
            at.problems.append(problem)
    else:
        problem = Problem(rule, at, detail)
    found.append(problem)


def _finish(msg: _Head, found: list[Problem]) -> list[Problem]:
    msg.problems.extend(p for p in found if p not in msg.problems)
    return [p for p in msg.problems if p.rule is _MAL] + found


def _token_check(
    found: list[Problem], msg: _Head, name: str, token: str, rule: Rule, at0: int
) -> None:
    lines = msg.lines(name)
    if not lines:
        _flag(found, rule, at0, f"no {name} header")
    elif token not in msg.tokens(name):
        _flag(found, rule, lines[0], f"got {msg.get(name)!r}")


def _dups(found: list[Problem], msg: _Head, *names: str) -> None:
    for name in names:
        lines = msg.lines(name)
        for line in lines[1:]:
            _flag(found, Rule.HANDSHAKE_DUPLICATE, line, f"{name} also at byte {lines[0].offset}")


def _old_http(msg: Request | Response, found: list[Problem], at0: int, size: int) -> None:
    m = _HTTP_VERSION.fullmatch(msg.version)
    if m and (int(m[1]), int(m[2])) < (1, 1):
        at = msg.raw[at0 : at0 + size].find(msg.version.encode("latin-1"))
        _flag(found, Rule.HANDSHAKE_VERSION, at0 + max(at, 0), f"got {msg.version}")


def validate_request(req: Request) -> list[Problem]:
    """RFC 6455 §4.2.1 checks; returns parse problems plus the problems found here."""
    found: list[Problem] = []
    at0 = req.request_line_offset
    if not req.lines("Upgrade") and not any(
        h.name.lower().startswith("sec-websocket-") for h in req.headers
    ):
        _flag(
            found,
            Rule.HANDSHAKE_NOT_WEBSOCKET,
            at0,
            f"'{req.method} {req.target}' has no "
            "Upgrade header: a plain HTTP page request (as a browser address bar sends), "
            "not a WebSocket handshake",
        )
        return _finish(req, found)
    if req.method != "GET":
        _flag(found, Rule.HANDSHAKE_METHOD, at0, f"got {req.method!r}")
    _old_http(req, found, at0, req.request_line_size)
    hosts = req.lines("Host")
    if not hosts:
        _flag(found, Rule.HANDSHAKE_HOST, at0, "HTTP/1.1 requires a Host header")
    elif not hosts[0].value:
        _flag(found, Rule.HANDSHAKE_HOST, hosts[0], "Host is empty")
    _token_check(found, req, "Upgrade", "websocket", Rule.HANDSHAKE_UPGRADE, at0)
    _token_check(found, req, "Connection", "upgrade", Rule.HANDSHAKE_CONNECTION, at0)
    versions = req.lines("Sec-WebSocket-Version")
    if not versions:
        _flag(found, Rule.HANDSHAKE_WS_VERSION, at0, "no Sec-WebSocket-Version header")
    elif versions[0].value != WS_VERSION:
        detail = f"got {versions[0].value!r}; servers answer 426 with 'Sec-WebSocket-Version: 13'"
        _flag(found, Rule.HANDSHAKE_WS_VERSION, versions[0], detail)
    keys = req.lines("Sec-WebSocket-Key")
    if not keys:
        _flag(found, Rule.HANDSHAKE_KEY, at0, "no Sec-WebSocket-Key header")
    elif (why := key_problem(keys[0].value)) is not None:
        _flag(found, Rule.HANDSHAKE_KEY, keys[0], why)
    _dups(found, req, "Host", "Sec-WebSocket-Key", "Sec-WebSocket-Version")
    return _finish(req, found)


def validate_response(
    resp: Response,
    *,
    key: str | None,
    offered_subprotocols: Sequence[str] | None = (),
    offered_extensions: Sequence[str] | None = (),
) -> list[Problem]:
    """RFC 6455 §4.1 client-side checks of the server's answer to a request with ``key``.

    ``None`` for the key or an offer means "not known" (a response pasted on its own): that
    check is skipped rather than failed.
    """
    found: list[Problem] = []
    at0 = resp.status_line_offset
    _old_http(resp, found, at0, resp.status_line_size)
    if resp.status != 101:
        detail = f"got {resp.status} {resp.reason}".strip() if resp.status else "no status code"
        if resp.status == 426 and (versions := resp.get("Sec-WebSocket-Version")):
            detail += f" (server speaks Sec-WebSocket-Version {versions})"
        _flag(
            found,
            Rule.HANDSHAKE_STATUS,
            at0 + (len(resp.version) + 1 if resp.status else 0),
            detail,
        )
        return _finish(resp, found)
    _token_check(found, resp, "Upgrade", "websocket", Rule.HANDSHAKE_UPGRADE, at0)
    _token_check(found, resp, "Connection", "upgrade", Rule.HANDSHAKE_CONNECTION, at0)
    accepts = resp.lines("Sec-WebSocket-Accept")
    expected = accept_key(key) if key is not None else None
    if expected is None:
        if not accepts:
            _flag(found, Rule.HANDSHAKE_ACCEPT, at0, "no Sec-WebSocket-Accept")
    elif not accepts:
        _flag(found, Rule.HANDSHAKE_ACCEPT, at0, f"no Sec-WebSocket-Accept; expected {expected}")
    elif accepts[0].value == expected:
        accepts[0].meaning = f"matches: base64(SHA-1({key} + {GUID})) = {expected}"
    else:
        accepts[0].meaning = f"does NOT match the key {key}: expected {expected}"
        detail = f"expected {expected}, got {accepts[0].value}"
        _flag(found, Rule.HANDSHAKE_ACCEPT, accepts[0], detail)
    offered = list(offered_subprotocols or ())
    for line in resp.lines("Sec-WebSocket-Protocol")[:1]:
        chosen = _list(line.value)
        if len(chosen) != 1:
            _flag(found, Rule.HANDSHAKE_SUBPROTOCOL, line, f"not exactly one: {line.value!r}")
        for name in (n for n in chosen if offered_subprotocols is not None and n not in offered):
            detail = f"{name!r} was not offered (offered: {', '.join(offered) or 'none'})"
            _flag(found, Rule.HANDSHAKE_SUBPROTOCOL, line, detail)
    offered_ext: list[str] = []
    for offer in offered_extensions or ():
        with contextlib.suppress(ExtensionError):  # a malformed offer offered nothing it names
            offered_ext += extension_names(offer)
    for line in resp.lines("Sec-WebSocket-Extensions") if offered_extensions is not None else ():
        try:
            answered = extension_names(line.value)
        except ExtensionError as exc:
            _flag(found, Rule.HANDSHAKE_EXTENSION, line, str(exc))
            continue
        for name in (n for n in answered if n not in offered_ext):
            detail = f"{name!r} was not offered (offered: {', '.join(offered_ext) or 'none'})"
            _flag(found, Rule.HANDSHAKE_EXTENSION, line, detail)
    _dups(found, resp, "Sec-WebSocket-Accept", "Sec-WebSocket-Protocol")
    return _finish(resp, found)
