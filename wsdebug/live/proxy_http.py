"""The HTTP side of ``wsdebug proxy``: the request target sent upstream, the rewritten head,
and the requests the proxy answers itself (400, 408, 431, 502, 504)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..codec.connection import DEFAULT_MAX_MESSAGE
from ..codec.handshake import MAX_HANDSHAKE_SIZE, Request
from .client import Target
from .proxy_script import Hook

if TYPE_CHECKING:
    from .proxy_intercept import Interceptor

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(?P<rest>[/?].*)?$")


@dataclass
class ProxyOptions:
    upstream: str
    host: str = "127.0.0.1"
    port: int = 9000
    keep_path: bool = False
    insecure: bool = False
    cacert: str | None = None
    strict: bool = False
    once: bool = False  #: stop after the first proxied connection ends
    #: ``--script``: the on_message hook; each leg is then terminated (the proxy re-frames)
    script: Hook | None = None
    #: ``--intercept``: holds matching messages for the prompt (terminated legs too)
    intercept: Interceptor | None = None
    forward: bool = False  #: ``--forward``: an HTTP proxy (CONNECT, absolute URLs), no upstream
    ca_dir: str | None = None  #: where the local CA lives (default: the user's data directory)
    intercept_host: str | None = None  #: forward: decode only hosts matching this glob
    connect_timeout: float = 10.0
    handshake_timeout: float = 10.0
    close_timeout: float = 3.0  #: after one side ended, seconds the other gets to end too
    max_handshake: int = MAX_HANDSHAKE_SIZE
    max_message: int = DEFAULT_MAX_MESSAGE
    max_connections: int = 1024


class Refused(Exception):
    """The proxy answers the client itself (``status`` and a one-line ``reason``)."""

    def __init__(self, status: int, title: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.title = status, title


def upstream_target(upstream: Target, client_target: str, keep_path: bool) -> str:
    """The request target sent upstream: the client's path and query appended to the
    upstream URL's (``keep_path``: the upstream URL's resource alone)."""
    if keep_path:
        return upstream.resource
    m = _ABSOLUTE.match(client_target)
    if m is not None:  # absolute-form (RFC 7230 §5.3.2): keep the path and query
        client_target = m["rest"] or "/"
    up_path, _, up_query = upstream.resource.partition("?")
    cl_path, _, cl_query = client_target.partition("?")
    if up_path in ("", "/"):
        path = cl_path or "/"
    elif cl_path in ("", "/"):
        path = up_path
    else:
        path = up_path.rstrip("/") + cl_path
    query = "&".join(q for q in (up_query, cl_query) if q)
    return path + (f"?{query}" if query else "")


def rewrite_head(head: bytes, req: Request, target: str, host: str) -> bytes:
    """The client's head with the request line's target and the Host header replaced; every
    other byte (header order, case, spacing, duplicates) as the client sent it."""
    lines = re.split(rb"(?<=\n)", head)
    first = lines[0]
    ending = b"\r\n" if first.endswith(b"\r\n") else b"\n"
    out = [f"{req.method} {target} {req.version}".encode("latin-1") + ending]
    host_line = f"Host: {host}".encode("latin-1")
    seen_host = False
    for line in lines[1:]:
        if line[:5].lower() == b"host:":
            if not seen_host:
                out.append(host_line + (b"\r\n" if line.endswith(b"\r\n") else b"\n"))
                seen_host = True
            continue  # a second Host header is dropped: the upstream gets exactly one
        out.append(line)
    if not seen_host:
        out.insert(1, host_line + b"\r\n")
    return b"".join(out)


def bad_request(req: Request) -> str | None:
    """Why the head cannot be forwarded as an HTTP/1.x request, or None."""
    if not req.method or not _TOKEN.fullmatch(req.method.encode("latin-1")):
        return "the request line is not 'METHOD target HTTP/1.1'"
    if not re.fullmatch(r"HTTP/1\.[0-9]", req.version):
        return f"unsupported HTTP version {req.version[:20]!r}"
    if not (req.target.startswith("/") or _ABSOLUTE.match(req.target)):
        return f"request target {req.target[:60]!r} is not a path"
    return None
