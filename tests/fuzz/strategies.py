"""Hypothesis generators for the fuzz targets: valid inputs built by the project's own encoders
(frames, deflate streams, handshakes, dumps, captures), then mutated (bits flipped, bytes
replaced, ranges cut or duplicated, the end cut off), mixed with raw bytes.

Structure gets the inputs past the first checks, where raw bytes rarely go; the mutations then
break them in the places a parser has to be careful about.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any

from hypothesis import strategies as st

from tests import dumps
from tests.pcapwrite import write_pcap
from wsdebug.capture.format import C2S, S2C, Chunk, ConnectionInfo
from wsdebug.codec.frames import encode_frame

from .make_corpus import KEY, RFC_REQUEST, RFC_RESPONSE

RAW = st.binary(max_size=512)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes], max_edits: int = 4) -> bytes:
    """``base`` with up to ``max_edits`` edits at drawn places."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, max_edits))):
        kind = draw(st.sampled_from(("flip", "byte", "cut", "dup", "insert", "truncate")))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte" and at < len(data):
            data[at] = draw(st.sampled_from((0x00, 0x7E, 0x7F, 0x80, 0xFF, 0x0A, 0x0D, 0x20)))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "dup":
            data[at:at] = data[at : at + draw(st.integers(1, 32))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


#: long runs of one short pattern, up to 64 KiB, with something else at the end: what exposes
#: a parser that is quadratic in its input (a regex that backtracks, a rescan per item)
_UNITS = (
    b"(",
    b"=",
    b" ",
    b"0x",
    b"{",
    b"\\x",
    b"b'",
    b"\r\n",
    b":",
    b"> ",
    b"#",
    b"*\n",
    b"\x00",
    b"\x89\x00",
    b"a;",
    b"a,",
    b'"',
    b"bytes(",
    b"00000000  ",
    b"[",
    b'{"a":',
)
#: each unit repeated to ~48 KB, bare and before a tail that makes the parse fail late
LONG_RUNS = [unit * (48000 // len(unit)) + tail for unit in _UNITS for tail in (b"", b"0x1", b"!")]


def _or_raw(structured: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.one_of(mutated(structured), structured, RAW)


# -- frames and deflate streams -----------------------------------------------------------------

_PAYLOAD = st.one_of(st.binary(max_size=200), st.text(max_size=60).map(str.encode))


@st.composite
def frame(draw: st.DrawFn, *, rsv1: bool | None = None, payload: bytes | None = None) -> bytes:
    """One frame, valid or not: any opcode, FIN/RSV bits, masking, length form."""
    data = draw(_PAYLOAD) if payload is None else payload
    form = draw(st.sampled_from((None, 16, 64) if len(data) <= 0xFFFF else (None, 64)))
    masked = draw(st.booleans())
    return encode_frame(
        draw(st.sampled_from((0, 1, 2, 8, 9, 10, 3, 11))),
        data,
        fin=draw(st.booleans()) if payload is None else True,
        rsv1=draw(st.booleans()) if rsv1 is None else rsv1,
        rsv2=draw(st.booleans()),
        mask=masked,
        mask_key=draw(st.binary(min_size=4, max_size=4)) if masked else None,
        length_form=form,
    )


FRAMES = st.lists(frame(), max_size=6).map(b"".join)


@st.composite
def deflated(draw: st.DrawFn) -> bytes:
    """A raw DEFLATE message as permessage-deflate sends it: sync-flushed, tail removed (or
    kept, or ended with a final block)."""
    message = draw(
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=100).map(str.encode),
            st.integers(1, 5000).map(lambda n: b"A" * n),
        )
    )
    z = zlib.compressobj(draw(st.integers(0, 9)), zlib.DEFLATED, -draw(st.integers(9, 15)))
    end = draw(st.sampled_from(("sync", "full", "final")))
    flush = {"sync": zlib.Z_SYNC_FLUSH, "full": zlib.Z_FULL_FLUSH, "final": zlib.Z_FINISH}[end]
    data = z.compress(message) + z.flush(flush)
    return data[:-4] if end != "final" and draw(st.booleans()) else data


DEFLATE_FRAMES = st.lists(
    st.one_of(mutated(deflated(), 2).flatmap(lambda p: frame(rsv1=True, payload=p)), frame()),
    max_size=5,
).map(b"".join)
INFLATE = st.lists(mutated(deflated(), 2), max_size=4).map(b"\xff\xfe".join)

# -- handshakes and extension headers -----------------------------------------------------------

_TOKEN = st.sampled_from(
    (
        "permessage-deflate",
        "x-webkit-deflate-frame",
        "foo",
        "server_no_context_takeover",
        "client_no_context_takeover",
        "server_max_window_bits",
        "client_max_window_bits",
    )
)
_VALUE = st.one_of(
    st.integers(-1, 20).map(str), st.sampled_from(('"10"', '"', '""', "", "1 0", "é"))
)
_PARAM = st.tuples(_TOKEN, st.none() | _VALUE).map(
    lambda p: p[0] if p[1] is None else f"{p[0]}={p[1]}"
)
_EXTENSION = st.lists(_PARAM, min_size=1, max_size=4).map(lambda ps: ";".join(ps))
EXTENSIONS = _or_raw(st.lists(_EXTENSION, max_size=3).map(lambda es: ", ".join(es).encode("utf-8")))

_NAMES = st.sampled_from(
    (
        "Host",
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Accept",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
        "Origin",
        "Content-Length",
        "X-Any",
        "Bad Name",
        "",
    )
)
_HVALUES = st.one_of(
    st.sampled_from(
        (
            "websocket",
            "Upgrade",
            "13",
            KEY,
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "chat",
            "permessage-deflate; client_max_window_bits",
            "",
        )
    ),
    st.text(max_size=30),
    EXTENSIONS.map(lambda b: b.decode("latin-1")),
)


@st.composite
def _head(draw: st.DrawFn, starts: tuple[str, ...]) -> bytes:
    start = draw(st.sampled_from(starts))
    headers = draw(st.lists(st.tuples(_NAMES, _HVALUES), max_size=10))
    eol = draw(st.sampled_from(("\r\n", "\n")))
    text = eol.join(
        [start, *(f"{n}:{draw(st.sampled_from(('', ' ', '  ')))}{v}" for n, v in headers)]
    )
    return (text + eol + eol).encode("utf-8") + draw(st.binary(max_size=20))


REQUESTS = _or_raw(
    st.one_of(
        st.just(RFC_REQUEST),
        _head(
            (
                "GET / HTTP/1.1",
                "GET /chat?x=1 HTTP/1.0",
                "POST / HTTP/1.1",
                "GET http://a/ HTTP/1.1",
                "GET  / HTTP/1.1",
                "GET /",
            )
        ),
    )
)
RESPONSES = _or_raw(
    st.one_of(
        st.just(RFC_RESPONSE),
        _head(
            (
                "HTTP/1.1 101 Switching Protocols",
                "HTTP/1.1 101",
                "HTTP/1.0 200 OK",
                "HTTP/1.1 426 Upgrade Required",
                "HTTP/1.1 99999 x",
                "HTTP/2 101",
            )
        ),
    )
)

# -- text input ---------------------------------------------------------------------------------

_FORMATTERS = (
    dumps.xxd,
    dumps.xxd_plain,
    dumps.hexdump_c,
    dumps.wireshark_hex_dump,
    dumps.wireshark_hex_dump_old,
    dumps.c_array,
    lambda b: b.hex(" "),
    lambda b: b.hex(":"),
    lambda b: repr(b),
    lambda b: "".join(f"\\x{c:02x}" for c in b),
    lambda b: " ".join(f"0x{c:02x}" for c in b),
    lambda b: base64.b64encode(b).decode(),
    lambda b: f"> {b[: len(b) // 2].hex(' ')}\n< {b[len(b) // 2 :].hex(' ')}\n",
)


@st.composite
def _dump(draw: st.DrawFn) -> bytes:
    data = draw(st.one_of(st.binary(max_size=100), st.integers(1, 200).map(bytes)))
    if draw(st.booleans()):
        text = dumps.follow_tcp_stream(
            [(draw(st.booleans()), data), (draw(st.booleans()), data[::-1])]
        )
    else:
        text = draw(st.sampled_from(_FORMATTERS))(data)
    return text.encode("utf-8")


TEXT = _or_raw(_dump())

# -- captures -----------------------------------------------------------------------------------

_CONVERSATION = st.tuples(
    st.lists(
        st.tuples(st.booleans(), st.one_of(frame(), st.binary(min_size=1, max_size=40))), max_size=6
    ),
    st.sampled_from((None, "permessage-deflate")),
)


def _chunks(records: list[tuple[bool, bytes]]) -> list[Chunk]:
    chunks = [Chunk(0.0, "c1", C2S, RFC_REQUEST), Chunk(0.1, "c1", S2C, RFC_RESPONSE)]
    return chunks + [
        Chunk(0.2 + i, "c1", C2S if c2s else S2C, data) for i, (c2s, data) in enumerate(records)
    ]


@st.composite
def _jsonl(draw: st.DrawFn) -> bytes:
    records, ext = draw(_CONVERSATION)
    raw = draw(st.booleans())  # version 2: each data record's bytes follow its line
    lines: list[dict[str, Any]] = [
        {
            "format": "wsdebug-capture",
            "version": 2 if raw else 1,
            "created": "2025-12-01T10:00:00Z",
            "tool": "fuzz",
            "mode": "connect",
        },
        {
            "t": 0.0,
            "conn": "c1",
            "event": "open",
            "role": "client",
            "peer": "127.0.0.1:9000",
            "local": "127.0.0.1:5000",
            "url": "ws://127.0.0.1:9000/",
        },
    ]
    out = [json.dumps(line).encode() + b"\n" for line in lines]
    for c in _chunks(records):
        if raw:
            head = {"t": c.t, "conn": c.conn, "event": "data", "dir": c.dir, "len": len(c.data)}
            out.append(json.dumps(head, separators=(",", ":")).encode() + b"\n" + c.data + b"\n")
        else:
            head = {"t": c.t, "conn": c.conn, "event": "data", "dir": c.dir, "hex": c.data.hex()}
            out.append(json.dumps(head).encode() + b"\n")
    end = {"t": 9.0, "conn": "c1", "event": "handshake", "subprotocol": None, "extensions": ext}
    out.append(json.dumps(end).encode() + b"\n")
    return b"".join(out)


@st.composite
def _pcap(draw: st.DrawFn) -> bytes:
    records, _ = draw(_CONVERSATION)
    info = ConnectionInfo(
        "c1", role="client", peer="127.0.0.1:9000", local="127.0.0.1:5000", chunks=_chunks(records)
    )
    out = io.BytesIO()
    n = len(info.chunks) - 1  # data segments are numbered from 0; there are at least this many
    write_pcap(
        out,
        [info],
        mss=draw(st.sampled_from((1460, 7, 100))),
        linktype=draw(st.sampled_from((1, 101))),
        reorder=draw(st.lists(st.integers(0, n), max_size=2)),
        retransmit=draw(st.lists(st.integers(0, n), max_size=2)),
        isn=(draw(st.sampled_from((1000, 2**32 - 3))), 5000),
    )
    return out.getvalue()


@st.composite
def _har(draw: st.DrawFn) -> bytes:
    records, ext = draw(_CONVERSATION)
    headers = [{"name": "Sec-WebSocket-Extensions", "value": ext}] if ext else []
    messages = [
        {
            "type": draw(st.sampled_from(("send", "receive", "other"))),
            "opcode": draw(st.sampled_from((1, 2, 8, 9, 16, "x"))),
            "time": draw(st.sampled_from((1.0, "t", None))),
            "data": draw(st.one_of(st.text(max_size=20), st.just(base64.b64encode(data).decode()))),
        }
        for _, data in records
    ]
    entry = {
        "startedDateTime": "2025-12-01T10:00:00.000Z",
        "request": {
            "url": draw(st.sampled_from(("wss://example.org/s", "ws://[::1]:99999/", "http://a"))),
            "headers": headers,
        },
        "response": {"status": 101, "headers": headers},
        "_webSocketMessages": messages,
    }
    return json.dumps({"log": {"entries": [entry]}}).encode()


CAPTURE_JSONL = _or_raw(_jsonl())
CAPTURE_PCAP = _or_raw(_pcap())
CAPTURE_HAR = _or_raw(_har())
CAPTURE_TEXTDUMP = _or_raw(_dump())

_TOOL_LINES = st.sampled_from(
    (
        "Frame (74 bytes):",
        "Unmasked data (5 bytes):",
        "0000  00 00 00 00 00 00 00 00 00 00 00 00 08 00 45 00   ..............E.",
        "0010  00 3c 5f 6d 40 00 40 06 dd 4c 7f 00 00 01 7f 00   .<_m@.@..L......",
        "0020  00 01 af dc aa 3b 09 6c 8c 80 00 00 00 00 50 18   .....;.l........",
        "0030  ff d7 fe 30 00 00 81 05 68 65 6c 6c 6f",
        "    Epoch Time: 1796172647.379247000 seconds",
        "===================================================================",
        "Follow: tcp,hex",
        "Follow: tcp,raw",
        "Node 0: 127.0.0.1:45020",
        "Node 1: 127.0.0.1:43579",
        "00000000  81 05 68 65 6c 6c 6f                              ..hello",
        "\t00000000  81 05 68 65 6c 6c 6f                              ..hello",
        "\t810568656c6c6f",
        "8185855d8468ed38e804ea",
        "000000 81 85 37 fa 21 3d 7f 9f 4d 51 58 00 00 00 00 00  >..7.!=..MQX.....<",
        "000010 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  >................<",
        "*",
        "000030",
        "",
    )
)
#: lines of tshark's and od's formats, shuffled and repeated (the readers' line state machines)
TOOL_DUMPS = st.lists(_TOOL_LINES, max_size=40).map(lambda lines: "\n".join(lines).encode())

#: a generator for each target of tests.fuzz.targets.TARGETS
STRATEGIES: dict[str, st.SearchStrategy[bytes]] = {
    "stream": _or_raw(FRAMES),
    "stream_deflate": _or_raw(DEFLATE_FRAMES),
    "inflate": _or_raw(INFLATE),
    "connection_client": _or_raw(st.one_of(FRAMES, DEFLATE_FRAMES)),
    "connection_server": _or_raw(st.one_of(FRAMES, DEFLATE_FRAMES)),
    "opening_client": _or_raw(st.tuples(RESPONSES, FRAMES, DEFLATE_FRAMES).map(b"".join)),
    "opening_server": _or_raw(st.tuples(REQUESTS, FRAMES, DEFLATE_FRAMES).map(b"".join)),
    "handshake_request": REQUESTS,
    "handshake_response": RESPONSES,
    "extensions": EXTENSIONS,
    "text_input": TEXT,
    "tool_dump": _or_raw(TOOL_DUMPS),
    "midstream": _or_raw(st.tuples(st.binary(max_size=300), FRAMES).map(b"".join)),
    "follow": CAPTURE_PCAP,
    "tls": _or_raw(
        st.lists(
            st.tuples(
                st.sampled_from((b"\x16\x03\x03", b"\x17\x03\x03", b"\x14\x03\x03")),
                st.binary(max_size=80),
            ).map(lambda r: r[0] + len(r[1]).to_bytes(2, "big") + r[1]),
            max_size=8,
        ).map(b"".join)
    ),
    "capture_jsonl": CAPTURE_JSONL,
    "capture_pcap": CAPTURE_PCAP,
    "capture_har": CAPTURE_HAR,
    "capture_textdump": CAPTURE_TEXTDUMP,
}
