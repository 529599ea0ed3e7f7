"""Tests for wsdebug.codec.handshake (RFC 6455 §4 opening handshake)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import vectors
from wsdebug.codec import handshake as hs
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import GUID

#: The seed's two requests and its response, as bytes (tests/vectors.py has the text).
SEED_WS_REQUEST = vectors.SEED_WS_REQUEST.encode("latin-1")
SEED_PAGE_REQUEST = vectors.SEED_PAGE_REQUEST.encode("latin-1")
SEED_RESPONSE = vectors.SEED_RESPONSE.encode("latin-1")
SEED_KEY, SEED_KEY_ACCEPT, SEED_ACCEPT = (
    vectors.SEED_KEY,
    vectors.SEED_KEY_ACCEPT,
    vectors.SEED_ACCEPT,
)
CHROME_UA = vectors.CHROME_UA

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def rules(problems) -> list[Rule]:
    return [p.rule for p in problems]


def make_request(*lines: str, start: str = "GET /chat HTTP/1.1") -> bytes:
    return ("\r\n".join([start, *lines]) + "\r\n\r\n").encode("latin-1")


GOOD_LINES = (
    "Host: example.com",
    "Upgrade: websocket",
    "Connection: Upgrade",
    f"Sec-WebSocket-Key: {RFC_KEY}",
    "Sec-WebSocket-Version: 13",
)


def request_with(
    replace: dict[str, str | None] | None = None, extra=(), start="GET /chat HTTP/1.1"
) -> bytes:
    """GOOD_LINES with headers replaced (value) or removed (None), plus extra lines."""
    replace = {k.lower(): v for k, v in (replace or {}).items()}
    lines = []
    for line in GOOD_LINES:
        name = line.split(":")[0].lower()
        if name in replace:
            if replace[name] is not None:
                lines.append(f"{line.split(':')[0]}: {replace[name]}")
        else:
            lines.append(line)
    return make_request(*lines, *extra, start=start)


def validate(head: bytes):
    req = hs.parse_request(head)
    return req, hs.validate_request(req)


def assert_offsets_exact(msg) -> None:
    for line in msg.headers:
        chunk = msg.raw[line.offset : line.offset + line.size]
        assert chunk.endswith(b"\r\n")
        assert chunk.decode("latin-1").startswith(line.name)
        assert line.value in chunk.decode("latin-1")


# -- accept key --------------------------------------------------------------------------------


def test_accept_key_rfc_vector():
    assert hs.accept_key(RFC_KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_key_seed_vector():
    assert hs.accept_key(SEED_KEY) == SEED_KEY_ACCEPT
    assert hs.accept_key(SEED_KEY) != SEED_ACCEPT  # the seed's response answered some other key


def test_accept_steps():
    steps = hs.accept_steps(RFC_KEY)
    assert steps.key == RFC_KEY
    assert steps.concatenated == RFC_KEY + GUID
    assert steps.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"  # RFC 6455 §1.3
    assert steps.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_make_key_is_16_random_bytes():
    key = hs.make_key()
    assert hs.key_problem(key) is None
    assert key != hs.make_key()


# -- seed handshakes ---------------------------------------------------------------------------


def test_seed_websocket_request_validates_clean():
    req, problems = validate(SEED_WS_REQUEST)
    assert problems == [] and req.problems == []
    assert (req.method, req.target, req.version) == ("GET", "/", "HTTP/1.1")
    assert req.request_line_size == len(b"GET / HTTP/1.1\r\n")
    assert req.raw == SEED_WS_REQUEST
    assert req.is_websocket
    assert req.key == "vNtQ8bVSNRPL5p+xo1X5CA=="
    assert req.extensions == "permessage-deflate; client_max_window_bits"
    assert req.subprotocols == []
    assert req.get("host") == "127.0.0.1:9000"
    assert req.get("X-Nope") is None
    assert len(req.headers) == 12
    assert_offsets_exact(req)
    assert req.headers[0].offset == req.request_line_size


def test_seed_websocket_request_meanings():
    req = hs.parse_request(SEED_WS_REQUEST)
    meaning = {h.name: h.meaning for h in req.headers}
    assert meaning["Upgrade"] == "asks the server to switch to the WebSocket protocol"
    assert "Sec-WebSocket-Accept" in meaning["Sec-WebSocket-Key"]
    assert "13" in meaning["Sec-WebSocket-Version"]
    assert hs.NOT_USED in meaning["User-Agent"]
    assert all(m for m in meaning.values())


def test_seed_page_request_is_not_websocket():
    req, problems = validate(SEED_PAGE_REQUEST)
    assert rules(problems) == [Rule.HANDSHAKE_NOT_WEBSOCKET]
    assert problems[0].offset == 0
    assert "plain HTTP" in problems[0].detail
    assert not req.is_websocket
    assert_offsets_exact(req)


def test_seed_response_validates_clean():
    resp = hs.parse_response(SEED_RESPONSE)
    assert (resp.version, resp.status, resp.reason) == ("HTTP/1.1", 101, "Switching Protocols")
    assert resp.status_line_size == len(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert resp.get("upgrade") == "websocket"
    assert_offsets_exact(resp)
    assert "obsolete" in resp.lines("WebSocket-Location")[0].meaning
    # Everything is fine except the Accept value, which does not belong to SEED_KEY.
    p = only(hs.validate_response(resp, key=SEED_KEY), Rule.HANDSHAKE_ACCEPT)
    assert p.detail == f"expected {SEED_KEY_ACCEPT}, got {SEED_ACCEPT}"
    # With the Accept that SEED_KEY really yields, 'Upgrade:websocket' (no space) validates clean.
    fixed = hs.parse_response(SEED_RESPONSE.replace(SEED_ACCEPT.encode(), SEED_KEY_ACCEPT.encode()))
    assert hs.validate_response(fixed, key=SEED_KEY) == []
    assert fixed.lines("Sec-WebSocket-Accept")[0].meaning.startswith("matches")


def test_accept_meaning_before_validation_shows_formula():
    resp = hs.parse_response(SEED_RESPONSE)
    assert resp.lines("sec-websocket-accept")[0].meaning == f"= base64(SHA-1(key + {GUID}))"


# -- request validation failures ---------------------------------------------------------------


def only(problems, rule: Rule):
    assert rules(problems) == [rule], problems
    return problems[0]


def test_good_request_is_clean():
    assert validate(request_with())[1] == []


def test_wrong_method():
    p = only(validate(request_with(start="POST /chat HTTP/1.1"))[1], Rule.HANDSHAKE_METHOD)
    assert p.offset == 0 and "POST" in p.detail


def test_http_10():
    head = request_with(start="GET /chat HTTP/1.0")
    p = only(validate(head)[1], Rule.HANDSHAKE_VERSION)
    assert head[p.offset :].startswith(b"HTTP/1.0")


def test_missing_host():
    p = only(validate(request_with({"Host": None}))[1], Rule.HANDSHAKE_HOST)
    assert p.offset == 0


@pytest.mark.parametrize("key", ["dGhlIHNhbXBsZQ==", "AAAAAAAAAAAAAAAAAAAAAAAAAA==", ""])
def test_bad_key_length(key):
    req, problems = validate(request_with({"Sec-WebSocket-Key": key}))
    p = only(problems, Rule.HANDSHAKE_KEY)
    line = req.lines("Sec-WebSocket-Key")[0]
    assert p.offset == line.offset and p in line.problems
    assert "bytes, not 16" in p.detail


@pytest.mark.parametrize(
    "key", ["dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j!Q==", "dGhlIHNh bXBsZSBub25jZQ==", "ü"]
)
def test_bad_key_base64(key):
    p = only(validate(request_with({"Sec-WebSocket-Key": key}))[1], Rule.HANDSHAKE_KEY)
    assert "base64" in p.detail


def test_websocket_version_8():
    req, problems = validate(request_with({"Sec-WebSocket-Version": "8"}))
    p = only(problems, Rule.HANDSHAKE_WS_VERSION)
    assert p.offset == req.lines("Sec-WebSocket-Version")[0].offset
    assert "'8'" in p.detail


def test_missing_websocket_version():
    problems = validate(request_with({"Sec-WebSocket-Version": None}))[1]
    assert only(problems, Rule.HANDSHAKE_WS_VERSION).offset == 0


def test_missing_key():
    problems = validate(request_with({"Sec-WebSocket-Key": None}))[1]
    assert only(problems, Rule.HANDSHAKE_KEY).offset == 0


def test_missing_upgrade_in_websocket_attempt():
    # Sec-WebSocket-* headers are present, so this is a broken handshake, not a page request.
    p = only(validate(request_with({"Upgrade": None}))[1], Rule.HANDSHAKE_UPGRADE)
    assert p.offset == 0


def test_upgrade_without_websocket_token():
    req, problems = validate(request_with({"Upgrade": "h2c"}))
    p = only(problems, Rule.HANDSHAKE_UPGRADE)
    assert p in req.lines("Upgrade")[0].problems


def test_missing_connection():
    problems = validate(request_with({"Connection": None}))[1]
    assert only(problems, Rule.HANDSHAKE_CONNECTION).offset == 0


def test_connection_without_upgrade_token():
    req, problems = validate(request_with({"Connection": "keep-alive"}))
    p = only(problems, Rule.HANDSHAKE_CONNECTION)
    line = req.lines("Connection")[0]
    assert p.offset == line.offset and p in line.problems and "keep-alive" in p.detail


def test_duplicate_key():
    req, problems = validate(request_with(extra=[f"Sec-WebSocket-Key: {hs.make_key()}"]))
    p = only(problems, Rule.HANDSHAKE_DUPLICATE)
    second = req.lines("Sec-WebSocket-Key")[1]
    assert p.offset == second.offset and p in second.problems
    assert p in req.problems


@pytest.mark.parametrize(
    "upgrade,connection",
    [
        ("WebSocket", "upgrade"),
        ("WEBSOCKET", "UPGRADE"),
        ("websocket", "keep-alive, Upgrade"),
        ("h2c, websocket", "Upgrade,keep-alive"),
        ("websocket", " keep-alive ,  upgrade "),
    ],
)
def test_tokens_case_insensitive_and_comma_lists(upgrade, connection):
    assert validate(request_with({"Upgrade": upgrade, "Connection": connection}))[1] == []


def test_repeated_connection_headers_are_joined():
    head = request_with({"Connection": "keep-alive"}, extra=["Connection: Upgrade"])
    req, problems = validate(head)
    assert problems == []
    assert req.get("connection") == "keep-alive, Upgrade"


def test_validation_is_idempotent():
    req = hs.parse_request(request_with({"Sec-WebSocket-Version": "8"}))
    first = hs.validate_request(req)
    assert hs.validate_request(req) == first
    assert len(req.problems) == 1 and len(req.lines("Sec-WebSocket-Version")[0].problems) == 1


# -- response validation failures --------------------------------------------------------------


def response(*lines: str, start="HTTP/1.1 101 Switching Protocols") -> hs.Response:
    return hs.parse_response(("\r\n".join([start, *lines]) + "\r\n\r\n").encode("latin-1"))


GOOD_RESPONSE_LINES = (
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
)


def test_good_response():
    assert hs.validate_response(response(*GOOD_RESPONSE_LINES), key=RFC_KEY) == []


def test_wrong_accept():
    resp = hs.parse_response(SEED_RESPONSE)
    problems = hs.validate_response(resp, key=RFC_KEY)
    p = only(problems, Rule.HANDSHAKE_ACCEPT)
    line = resp.lines("Sec-WebSocket-Accept")[0]
    assert p.offset == line.offset and p in line.problems
    assert p.detail == f"expected s3pPLMBiTxaQ9kYGzzhZRbK+xOo=, got {SEED_ACCEPT}"
    assert "NOT match" in line.meaning


def test_missing_accept():
    resp = response(*GOOD_RESPONSE_LINES[:2])
    assert only(hs.validate_response(resp, key=RFC_KEY), Rule.HANDSHAKE_ACCEPT).offset == 0


def test_non_101():
    resp = response("Content-Length: 0", start="HTTP/1.1 403 Forbidden")
    p = only(hs.validate_response(resp, key=RFC_KEY), Rule.HANDSHAKE_STATUS)
    assert resp.raw[p.offset :].startswith(b"403")
    assert "403 Forbidden" in p.detail


def test_426_mentions_supported_version():
    resp = hs.parse_response(hs.build_error_response(426, "Upgrade Required", "use version 13"))
    p = only(hs.validate_response(resp, key=RFC_KEY), Rule.HANDSHAKE_STATUS)
    assert "13" in p.detail


def test_response_missing_upgrade_and_connection():
    resp = response(GOOD_RESPONSE_LINES[2])
    expected = [Rule.HANDSHAKE_UPGRADE, Rule.HANDSHAKE_CONNECTION]
    assert rules(hs.validate_response(resp, key=RFC_KEY)) == expected


def test_unexpected_subprotocol():
    resp = response(*GOOD_RESPONSE_LINES, "Sec-WebSocket-Protocol: mqtt")
    problems = hs.validate_response(resp, key=RFC_KEY, offered_subprotocols=["chat"])
    p = only(problems, Rule.HANDSHAKE_SUBPROTOCOL)
    assert p.offset == resp.lines("Sec-WebSocket-Protocol")[0].offset and "'mqtt'" in p.detail


def test_offered_subprotocol_ok_and_two_is_too_many():
    resp = response(*GOOD_RESPONSE_LINES, "Sec-WebSocket-Protocol: chat")
    assert hs.validate_response(resp, key=RFC_KEY, offered_subprotocols=["superchat", "chat"]) == []
    resp = response(*GOOD_RESPONSE_LINES, "Sec-WebSocket-Protocol: chat, superchat")
    problems = hs.validate_response(resp, key=RFC_KEY, offered_subprotocols=["superchat", "chat"])
    assert rules(problems) == [Rule.HANDSHAKE_SUBPROTOCOL]


def test_unoffered_extension():
    resp = response(*GOOD_RESPONSE_LINES, "Sec-WebSocket-Extensions: x-webkit-deflate-frame")
    offered = ["permessage-deflate; client_max_window_bits"]
    problems = hs.validate_response(resp, key=RFC_KEY, offered_extensions=offered)
    p = only(problems, Rule.HANDSHAKE_EXTENSION)
    assert "x-webkit-deflate-frame" in p.detail


def test_offered_extension_matches_by_name():
    ext = "Sec-WebSocket-Extensions: Permessage-Deflate; server_no_context_takeover"
    resp = response(*GOOD_RESPONSE_LINES, ext)
    offered = ["permessage-deflate; client_max_window_bits, x-webkit-deflate-frame"]
    assert hs.validate_response(resp, key=RFC_KEY, offered_extensions=offered) == []


def test_extensions_are_read_with_the_one_header_parser():
    """The validator reads the header with the RFC 6455 §9.1 grammar, as negotiation does: a
    malformed answer is a problem even when its first name was offered."""
    ext = 'Sec-WebSocket-Extensions: x-demo; tag="abc", permessage-deflate'
    resp = response(*GOOD_RESPONSE_LINES, ext)
    offered = ["x-demo; tag=abc, permessage-deflate"]
    assert hs.validate_response(resp, key=RFC_KEY, offered_extensions=offered) == []
    broken = response(*GOOD_RESPONSE_LINES, "Sec-WebSocket-Extensions: x-demo; =1")
    p = only(
        hs.validate_response(broken, key=RFC_KEY, offered_extensions=["x-demo"]),
        Rule.HANDSHAKE_EXTENSION,
    )
    assert "column" in p.detail


# -- parsing robustness ------------------------------------------------------------------------


def test_malformed_header_line_keeps_parsing():
    req = hs.parse_request(make_request("Host: a", "this line has no colon", "Upgrade: websocket"))
    p = only(req.problems, Rule.HANDSHAKE_MALFORMED)
    assert p.offset == req.headers[1].offset and p in req.headers[1].problems
    assert req.get("Upgrade") == "websocket"


def test_bare_lf_tolerated_but_flagged():
    req = hs.parse_request(b"GET / HTTP/1.1\nHost: a\r\n\r\n")
    assert rules(req.problems) == [Rule.HANDSHAKE_MALFORMED]
    assert req.problems[0].offset == len(b"GET / HTTP/1.1")
    assert req.get("Host") == "a" and req.headers[0].offset == 15


def test_missing_end_of_head_flagged():
    req = hs.parse_request(b"GET / HTTP/1.1\r\nHost: a\r\n")
    assert Rule.HANDSHAKE_MALFORMED in rules(req.problems)
    assert req.get("Host") == "a"


def test_bad_request_line():
    req = hs.parse_request(b"GARBAGE\r\n\r\n")
    assert req.method == "GARBAGE" and Rule.HANDSHAKE_MALFORMED in rules(req.problems)


def test_empty_head():
    assert hs.parse_request(b"").problems and hs.parse_response(b"").problems
    assert hs.parse_response(b"HTTP/1.1 abc Nope\r\n\r\n").status == 0


def test_raw_excludes_bytes_after_head():
    req = hs.parse_request(SEED_WS_REQUEST + b"\x81\x05hello")
    assert req.raw == SEED_WS_REQUEST and req.problems == []


def check_never_raises(data: bytes) -> None:
    req, resp = hs.parse_request(data), hs.parse_response(data)
    hs.validate_request(req)
    hs.validate_response(resp, key=RFC_KEY, offered_subprotocols=["x"], offered_extensions=["y"])
    for msg in (req, resp):
        assert data.startswith(msg.raw)
        for line in msg.headers:
            assert 0 <= line.offset < line.offset + line.size <= len(msg.raw)
        for problem in msg.problems:
            assert 0 <= problem.offset <= len(msg.raw)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_parse_never_raises(data):
    check_never_raises(data)


HTTP_BITS = [
    b"GET",
    b" ",
    b"/",
    b"HTTP/1.1",
    b"HTTP/1.0",
    b"\r\n",
    b"\n",
    b"\r",
    b":",
    b",",
    b";",
    b'"',
    b"Upgrade",
    b"websocket",
    b"Connection",
    b"Sec-WebSocket-Key",
    b"Sec-WebSocket-Extensions",
    b"Sec-WebSocket-Protocol",
    b"101",
    b"\x00",
    b"\xff",
    b"\t",
    b"==",
]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(HTTP_BITS), max_size=40))
def test_parse_never_raises_on_http_like_bytes(parts):
    check_never_raises(b"".join(parts))


# -- HeadReader --------------------------------------------------------------------------------

FRAMES = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"  # RFC 6455 §5.7 masked "Hello"


def test_head_reader_byte_at_a_time():
    reader = hs.HeadReader()
    stream = SEED_WS_REQUEST + FRAMES
    results = [reader.feed(stream[i : i + 1]) for i in range(len(stream))]
    heads = [(i, r) for i, r in enumerate(results) if r is not None]
    assert heads == [(len(SEED_WS_REQUEST) - 1, SEED_WS_REQUEST)]
    assert reader.leftover == FRAMES and reader.done and not reader.too_big


def test_head_reader_one_chunk_keeps_leftover():
    reader = hs.HeadReader()
    assert reader.feed(SEED_WS_REQUEST[:10]) is None
    assert reader.feed(SEED_WS_REQUEST[10:] + FRAMES[:4]) == SEED_WS_REQUEST
    assert reader.leftover == FRAMES[:4]
    assert reader.feed(FRAMES[4:]) is None
    assert reader.leftover == FRAMES


def test_head_reader_terminator_split_across_feeds():
    reader = hs.HeadReader()
    assert reader.feed(SEED_RESPONSE[:-3]) is None
    assert reader.feed(SEED_RESPONSE[-3:-1]) is None
    assert reader.feed(SEED_RESPONSE[-1:] + b"xy") == SEED_RESPONSE
    assert reader.leftover == b"xy"


def test_head_reader_too_big():
    reader = hs.HeadReader(max_size=64)
    assert reader.feed(b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 100) is None
    assert reader.too_big and reader.done
    assert reader.problem is not None and reader.problem.rule is Rule.HANDSHAKE_TOO_BIG
    assert reader.feed(b"\r\n\r\n") is None and reader.head is None
    assert len(reader.buffered) == 64


@given(st.binary(max_size=80), st.lists(st.integers(0, 80), max_size=10), st.integers(4, 100))
def test_head_reader_chunking_does_not_matter(data, cuts, max_size):
    data = b"GET / HTTP/1.1\r\n" + data + b"\r\n\r\n" + data
    whole = hs.HeadReader(max_size)
    head = whole.feed(data)
    chunked = hs.HeadReader(max_size)
    bounds = [0, *sorted(cuts), len(data)]
    heads = [chunked.feed(data[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert [h for h in heads if h is not None] == ([head] if head is not None else [])
    assert (chunked.leftover, chunked.too_big) == (whole.leftover, whole.too_big)
    if head is not None:
        assert head + whole.leftover == data


def test_head_reader_exact_limit():
    head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    assert hs.HeadReader(max_size=len(head)).feed(head) == head
    reader = hs.HeadReader(max_size=len(head) - 1)
    assert reader.feed(head) is None and reader.too_big


def test_default_limit():
    assert hs.HeadReader().max_size == hs.MAX_HANDSHAKE_SIZE == 16384


# -- building ----------------------------------------------------------------------------------


def test_build_request_round_trip():
    raw, key = hs.build_request(
        "example.com:8080",
        "/chat?x=1",
        subprotocols=["chat", "superchat"],
        extensions="permessage-deflate",
        origin="http://example.com",
        headers=[("Cookie", "a=b")],
    )
    req, problems = validate(raw)
    assert problems == []
    assert req.key == key and hs.key_problem(key) is None
    assert req.target == "/chat?x=1" and req.subprotocols == ["chat", "superchat"]
    assert req.get("Origin") == "http://example.com" and req.get("cookie") == "a=b"
    assert_offsets_exact(req)


def test_build_request_given_key():
    raw, key = hs.build_request("h", key=RFC_KEY)
    assert key == RFC_KEY and f"Sec-WebSocket-Key: {RFC_KEY}\r\n".encode() in raw


def test_build_request_rejects_header_injection():
    with pytest.raises(ValueError):
        hs.build_request("h\r\nEvil: 1")


def test_build_response_round_trip():
    req = hs.parse_request(SEED_WS_REQUEST)
    raw = hs.build_response(req, subprotocol="chat", extensions="permessage-deflate")
    resp = hs.parse_response(raw)
    assert resp.accept == hs.accept_key("vNtQ8bVSNRPL5p+xo1X5CA==")
    problems = hs.validate_response(
        resp, key=req.key, offered_subprotocols=["chat"], offered_extensions=[req.extensions]
    )
    assert problems == []
    assert raw.startswith(b"HTTP/1.1 101 Switching Protocols\r\n") and raw.endswith(b"\r\n\r\n")


def test_build_response_needs_key():
    with pytest.raises(ValueError):
        hs.build_response(hs.parse_request(SEED_PAGE_REQUEST))


def test_build_error_response():
    raw = hs.build_error_response(400, "Bad Request", "Missing Sec-WebSocket-Key: ü")
    head, _, body = raw.partition(b"\r\n\r\n")
    resp = hs.parse_response(head + b"\r\n\r\n")
    assert resp.status == 400 and resp.reason == "Bad Request" and resp.problems == []
    assert body.decode("utf-8") == "Missing Sec-WebSocket-Key: ü"
    assert resp.get("Content-Length") == str(len(body))
    assert resp.get("Content-Type") == "text/plain; charset=utf-8"
