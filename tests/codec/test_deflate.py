"""Tests for wsdebug.codec.deflate (RFC 7692 permessage-deflate)."""

from __future__ import annotations

import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdebug.codec.deflate import (
    DeflateParams,
    ExtensionError,
    InflateError,
    Inflater,
    MessageTooBig,
    PerMessageDeflate,
    accept_response,
    client_offer,
    negotiate,
    parse_extensions,
)
from wsdebug.codec.rules import Rule

HELLO = bytes.fromhex("f2 48 cd c9 c9 07 00")  # RFC 7692 §7.2.3.1


def pair(params: DeflateParams | None = None) -> tuple[PerMessageDeflate, PerMessageDeflate]:
    """(client, server) endpoints sharing ``params`` (default parameters when None)."""
    params = params or DeflateParams()
    return PerMessageDeflate(params, is_client=True), PerMessageDeflate(params, is_client=False)


# -- RFC 7692 §7.2.3 examples ------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(HELLO, id="7.2.3.1-hello"),
        pytest.param(bytes.fromhex("00 05 00 fa ff 48 65 6c 6c 6f 00"), id="7.2.3.3-stored-block"),
        pytest.param(bytes.fromhex("f3 48 cd c9 c9 07 00 00"), id="7.2.3.4-bfinal"),
        pytest.param(
            bytes.fromhex("f2 48 05 00 00 00 ff ff ca c9 c9 07 00"), id="7.2.3.5-two-blocks"
        ),
    ],
)
def test_rfc_examples_inflate_to_hello(payload: bytes) -> None:
    assert Inflater().inflate(payload) == b"Hello"
    assert PerMessageDeflate(DeflateParams(), is_client=True).decompress(payload) == b"Hello"


def test_rfc_7_2_3_2_context_takeover() -> None:
    inflater = Inflater()
    assert inflater.inflate(HELLO) == b"Hello"
    assert inflater.inflate(bytes.fromhex("f2 00 11 00 00")) == b"Hello"


def test_compress_matches_rfc_examples() -> None:
    client, _ = pair()
    assert client.compress(b"Hello") == HELLO
    assert client.compress(b"Hello") == bytes.fromhex("f2 00 11 00 00")


def test_empty_message() -> None:  # §7.2.3.6
    client, server = pair()
    assert client.compress(b"") == b"\x00"
    assert server.decompress(b"\x00") == b""
    assert server.decompress(b"") == b""


def test_bfinal_then_context_takeover_continues() -> None:
    inflater = Inflater()
    assert inflater.inflate(bytes.fromhex("f3 48 cd c9 c9 07 00 00")) == b"Hello"
    # the next message refers back into the window of the BFINAL-terminated one
    assert inflater.inflate(bytes.fromhex("f2 00 11 00 00")) == b"Hello"


# -- context takeover ----------------------------------------------------------------------------

MSG = b'{"type": "update", "payload": "the quick brown fox jumps over the lazy dog"}'


def test_context_takeover_shrinks_repeated_message() -> None:
    client, server = pair()
    first, second = client.compress(MSG), client.compress(MSG)
    assert len(second) < len(first) // 4
    assert server.decompress(first) == MSG
    assert server.decompress(second) == MSG
    with pytest.raises(InflateError):  # a fresh inflater lacks the window `second` refers to
        Inflater().inflate(second)


@pytest.mark.parametrize("is_client", [True, False])
def test_no_context_takeover_does_not_shrink(is_client: bool) -> None:
    params = DeflateParams(server_no_context_takeover=True, client_no_context_takeover=True)
    sender = PerMessageDeflate(params, is_client=is_client)
    receiver = PerMessageDeflate(params, is_client=not is_client)
    first, second = sender.compress(MSG), sender.compress(MSG)
    assert first == second
    assert Inflater(no_context_takeover=True).inflate(second) == MSG
    assert receiver.decompress(first) == MSG
    assert receiver.decompress(second) == MSG


def test_only_our_no_context_takeover_resets_compressor() -> None:
    params = DeflateParams(server_no_context_takeover=True)
    client, server = pair(params)
    assert len(client.compress(MSG)) > len(client.compress(MSG))  # client keeps its context
    assert server.compress(MSG) == server.compress(MSG)  # server resets


def test_window_bits_8() -> None:
    params = DeflateParams(server_max_window_bits=8, client_max_window_bits=8)
    client, server = pair(params)
    data = os.urandom(200) * 20
    for _ in range(3):
        assert server.decompress(client.compress(data)) == data
        assert client.decompress(server.compress(data)) == data


def test_inflater_rejects_bad_window_bits() -> None:
    with pytest.raises(ValueError):
        Inflater(window_bits=16)


# -- round trips ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=3000), min_size=1, max_size=6),
    bits=st.integers(8, 15),
    no_takeover=st.booleans(),
)
def test_round_trip(messages: list[bytes], bits: int, no_takeover: bool) -> None:
    params = DeflateParams(
        server_no_context_takeover=no_takeover,
        client_no_context_takeover=no_takeover,
        server_max_window_bits=bits,
        client_max_window_bits=bits,
    )
    client, server = pair(params)
    for message in messages:
        assert server.decompress(client.compress(message)) == message
        assert client.decompress(server.compress(message)) == message


# -- hostile input -------------------------------------------------------------------------------


def test_zip_bomb_is_capped() -> None:
    client, _ = pair()
    bomb = client.compress(bytes(10 * 1024 * 1024))
    assert len(bomb) < 20_000
    server = PerMessageDeflate(DeflateParams(), is_client=False, max_size=1024 * 1024)
    with pytest.raises(MessageTooBig) as info:
        server.decompress(bomb)
    assert info.value.rule is Rule.MESSAGE_TOO_BIG


def test_max_size_exact_fits() -> None:
    inflater = Inflater(max_size=5)
    assert inflater.inflate(HELLO) == b"Hello"
    with pytest.raises(MessageTooBig):
        Inflater(max_size=4).inflate(HELLO)


def test_corrupt_data_raises_inflate_error_with_offset() -> None:
    good = PerMessageDeflate(DeflateParams(), is_client=True).compress(MSG)
    bad = good[:10] + b"\xff\xff\xff\xff" + good[14:]
    with pytest.raises(InflateError) as info:
        Inflater().inflate(bad)
    err = info.value
    assert err.rule is Rule.INFLATE_FAILED
    assert 0 <= err.offset <= len(bad)
    assert "\n" not in str(err)


def test_invalid_block_type_offset_is_zero() -> None:
    with pytest.raises(InflateError) as info:
        Inflater().inflate(b"\x07\x00")  # BTYPE=11 is reserved (RFC 1951 §3.2.3)
    assert info.value.offset == 0


def test_distance_too_far_back_is_located() -> None:
    client, _ = pair()
    client.compress(MSG)
    second = client.compress(MSG)
    with pytest.raises(InflateError) as info:
        Inflater().inflate(second)
    assert 0 <= info.value.offset < len(second)


def test_inflate_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Inflater().inflate(b"\xff" * 8)


# -- parse_extensions ----------------------------------------------------------------------------


def test_parse_extensions() -> None:
    value = "permessage-deflate; client_max_window_bits, x-webkit; a=1"
    assert parse_extensions(value) == [
        ("permessage-deflate", [("client_max_window_bits", None)]),
        ("x-webkit", [("a", "1")]),
    ]


def test_parse_extensions_quotes_and_spaces() -> None:
    value = '  permessage-deflate ;server_max_window_bits = "10" ;client_no_context_takeover ,,foo '
    assert parse_extensions(value) == [
        (
            "permessage-deflate",
            [("server_max_window_bits", "10"), ("client_no_context_takeover", None)],
        ),
        ("foo", []),
    ]
    assert parse_extensions("") == []


@pytest.mark.parametrize(
    "value",
    [
        "permessage-deflate; ",
        "a=1",
        "foo; a=",
        'foo; a="1',
        'foo; a="x y"',
        "foo bar",
        "foo; a=1 2",
        ";x",
        "foo\n",
    ],
)
def test_parse_extensions_errors(value: str) -> None:
    with pytest.raises(ExtensionError) as info:
        parse_extensions(value)
    assert "\n" not in str(info.value)
    assert info.value.rule is Rule.HANDSHAKE_EXTENSION


# -- negotiation (server side) --------------------------------------------------------------------


def test_client_offer() -> None:
    assert client_offer() == "permessage-deflate; client_max_window_bits"
    assert client_offer(client_max_window_bits=False) == "permessage-deflate"


def test_negotiate_browser_offer() -> None:
    params = negotiate("permessage-deflate; client_max_window_bits")
    assert params == DeflateParams()
    assert params.header_value() == "permessage-deflate"


def test_negotiate_server_no_context_takeover() -> None:
    params = negotiate("permessage-deflate; server_no_context_takeover")
    assert params == DeflateParams(server_no_context_takeover=True)
    assert params.header_value() == "permessage-deflate; server_no_context_takeover"


def test_negotiate_window_bits_values() -> None:
    params = negotiate("permessage-deflate; server_max_window_bits=10; client_max_window_bits=9")
    assert params == DeflateParams(server_max_window_bits=10, client_max_window_bits=9)
    assert params.header_value() == (
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"
    )


@pytest.mark.parametrize(
    "offer",
    [
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; client_max_window_bits=x",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "x-webkit-deflate-frame",
        "",
        'permessage-deflate; a="',
    ],
)
def test_negotiate_declines(offer: str) -> None:
    assert negotiate(offer) is None


def test_negotiate_picks_later_acceptable_offer() -> None:
    offer = "permessage-deflate; foo=1, x-other, permessage-deflate; client_no_context_takeover"
    params = negotiate(offer)
    assert params == DeflateParams(client_no_context_takeover=True)
    assert params.header_value() == "permessage-deflate; client_no_context_takeover"


# -- accept_response (client side) ----------------------------------------------------------------


def test_accept_plain_response() -> None:
    assert accept_response("permessage-deflate", client_offer()) == DeflateParams()


def test_accept_full_response() -> None:
    response = (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=12"
    )
    assert accept_response(response, client_offer()) == DeflateParams(True, True, 10, 12)


def test_accept_round_trip_with_negotiate() -> None:
    offer = "permessage-deflate; server_max_window_bits=11; client_max_window_bits=10"
    params = negotiate(offer)
    assert params is not None
    assert accept_response(params.header_value(), offer) == params


PMD = "permessage-deflate"
OFFER = client_offer()


@pytest.mark.parametrize(
    ("response", "offered", "reason"),
    [
        (f"{PMD}; client_max_window_bits=10", PMD, "client_max_window_bits"),
        (f"{PMD}; server_max_window_bits=10; server_max_window_bits=10", OFFER, "duplicate"),
        (f"{PMD}; server_no_context_takeover; server_no_context_takeover", OFFER, "duplicate"),
        (f"{PMD}; server_max_window_bits=16", OFFER, "8..15"),
        (f"{PMD}; server_max_window_bits", OFFER, "8..15"),
        (f"{PMD}; client_max_window_bits", OFFER, "8..15"),
        (f"{PMD}; client_no_context_takeover=1", OFFER, "no value"),
        (f"{PMD}; mystery", OFFER, "unknown"),
        (f"{PMD}, {PMD}", OFFER, "expected one"),
        ("", OFFER, "expected one"),
        ("x-webkit", OFFER, "not offered"),
        (PMD, f"{PMD}; server_no_context_takeover", "server_no_context_takeover"),
        (PMD, f"{PMD}; server_max_window_bits=10", "lacks"),
        (f"{PMD}; server_max_window_bits=12", f"{PMD}; server_max_window_bits=10", "larger"),
        (f"{PMD};", OFFER, "parameter name"),
    ],
)
def test_accept_response_rejects(response: str, offered: str, reason: str) -> None:
    with pytest.raises(ExtensionError) as info:
        accept_response(response, offered)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_accept_response_matches_any_offer() -> None:
    offered = f"{PMD}; server_max_window_bits=10, {PMD}; client_max_window_bits"
    params = accept_response(f"{PMD}; client_max_window_bits=9", offered)
    assert params == DeflateParams(client_max_window_bits=9)


def test_accept_allows_unrequested_server_params() -> None:  # §7.1.1.1, §7.1.2.1
    response = "permessage-deflate; server_no_context_takeover; server_max_window_bits=9"
    assert accept_response(response, "permessage-deflate") == DeflateParams(
        server_no_context_takeover=True, server_max_window_bits=9
    )


def test_accept_offered_client_no_context_takeover_is_kept() -> None:
    params = accept_response("permessage-deflate", "permessage-deflate; client_no_context_takeover")
    assert params.client_no_context_takeover


def test_compressor_with_zlib_interop() -> None:
    """What we send inflates with plain zlib, as any peer would do it."""
    client, _ = pair()
    data = b"interop " * 100
    out = client.compress(data)
    assert zlib.decompressobj(-15).decompress(out + b"\x00\x00\xff\xff") == data


def test_negotiate_caps_windows_only_where_the_offer_allows() -> None:
    """A server may cap its own window, and the client's only if the client offered the
    parameter (RFC 7692 §7.1.2.2)."""
    browser = negotiate("permessage-deflate; client_max_window_bits", max_window_bits=12)
    assert browser is not None
    assert (browser.server_max_window_bits, browser.client_max_window_bits) == (12, 12)
    assert (
        browser.header_value()
        == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    )
    bare = negotiate("permessage-deflate", max_window_bits=12)
    assert bare is not None and bare.client_max_window_bits == 15
    assert "client_max_window_bits" not in bare.header_value()
    accept_response(browser.header_value(), "permessage-deflate; client_max_window_bits")


# -- issue 8: the corrupt-byte locator once spun forever after a final block ------------------

#: Two unmasked RSV1 binary frames: the second ends zlib's stream and leaves input unconsumed.
HANG_142 = bytes.fromhex(
    "c2211c8ac10d003010825815dd7f86ab291f1254b40430e6d289e9cca059ff33c77ed5c269ecc18100000000"
    "c320b6fb4b0de4d5" + "00" * 67 + "6da46a42462276c8872f6a7256a032579b5dece96f3d78"
)


def test_locator_stops_after_final_block() -> None:
    from wsdebug.codec.stream import StreamDecoder

    inflater = Inflater(max_size=1 << 26)
    decoder = StreamDecoder(inflate=inflater.inflate)
    records = decoder.receive_data(HANG_142)
    assert [r.frame.payload_len for r in records] == [33, 105]
    assert records[0].ok
    (problem,) = records[1].problems
    assert problem.rule is Rule.INFLATE_FAILED
    # the state carried over from message 1 rejects the second message at its first byte
    assert problem.offset == 35 + 2
