"""The request the proxy sends upstream: the target joined as documented, Host rewritten,
every other byte of the client's head kept."""

from __future__ import annotations

import pytest

from wsdebug.codec.handshake import parse_request
from wsdebug.live.client import Target
from wsdebug.live.proxy_http import rewrite_head, upstream_target


@pytest.mark.parametrize(
    "upstream, client, keep, expect",
    [
        ("ws://h/", "/chat?room=1", False, "/chat?room=1"),
        ("ws://h/base", "/chat?room=1", False, "/base/chat?room=1"),
        ("ws://h/base/", "/chat", False, "/base/chat"),
        ("ws://h/base?k=1", "/chat?room=1", False, "/base/chat?k=1&room=1"),
        ("ws://h/base", "/", False, "/base"),
        ("ws://h/base?k=1", "/chat?room=1", True, "/base?k=1"),
        ("ws://h/base", "http://proxy:9000/x?y", False, "/base/x?y"),
    ],
)
def test_upstream_target(upstream: str, client: str, keep: bool, expect: str) -> None:
    assert upstream_target(Target.parse(upstream), client, keep) == expect


def _rewrite(head: bytes) -> bytes:
    return rewrite_head(head, parse_request(head), "/up", "server:8080")


def test_host_rewritten_everything_else_kept() -> None:
    head = (
        b"GET /x HTTP/1.1\r\nhOsT: 127.0.0.1:9000\r\nCookie: a=b;  c=d\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        b"X-Odd:   spaced \r\n\r\n"
    )
    assert _rewrite(head) == (
        b"GET /up HTTP/1.1\r\nHost: server:8080\r\nCookie: a=b;  c=d\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        b"X-Odd:   spaced \r\n\r\n"
    )


def test_one_host_header_whatever_the_client_sent() -> None:
    assert _rewrite(b"GET / HTTP/1.1\r\nA: 1\r\n\r\n") == (
        b"GET /up HTTP/1.1\r\nHost: server:8080\r\nA: 1\r\n\r\n"
    )
    twice = b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
    assert _rewrite(twice).count(b"Host:") == 1
    bare = b"GET / HTTP/1.1\nHost: a\nA: 1\n\n"  # bare LF lines keep their ending
    assert _rewrite(bare) == b"GET /up HTTP/1.1\nHost: server:8080\nA: 1\n\n"
