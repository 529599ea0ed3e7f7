"""One peer's huge message never starves the others (issue 8 item 6), and ``--json-max-payload``.

The listener runs as a user runs it, ``wsdebug listen --echo --json``, with its standard output
a pipe shrunk to one page that the test does not read until the end.  A message of a few
megabytes (a few kilobytes on the wire, compressed) makes JSON thousands of times larger than
that pipe, so its JSON cannot be completely written until the test reads; while that is so, a
second client's echo round trip must still complete.  When output is written on the event
loop, the loop is stuck in ``write()`` and the second client never gets its handshake.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import connect as ws_connect

from wsdebug.capture.offline import build, decode_bytes
from wsdebug.capture.serialize import Blob, dumps, frame_json, iter_json, message_json

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1"
}
BIG = 4 << 20  #: characters in the big text message (all "a": deflate makes it ~4 KB)


def start_listener(*args: str) -> tuple[subprocess.Popen[bytes], str, int]:
    """``wsdebug listen --json --port 0 ARGS`` with a one-page stdout pipe; (proc, url, pipe size)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "listen", "--json", "--port", "0", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None
    size = fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)
    line = proc.stdout.readline()  # the "listening on" line: small, written before any client
    info = json.loads(line)
    assert info["event"] == "info", line
    url = info["message"].split()[2]
    assert url.startswith("ws://127.0.0.1:"), info
    return proc, url, size


@pytest.fixture
def listener() -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    proc, url, size = start_listener("--echo", "--once")
    yield proc, url, size
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=30)


# 16 MiB: more output queued than the reporter's backpressure threshold (64 MB): the big
# peer's own reading is held back, the probe's is not.
@pytest.mark.parametrize("size", [BIG, 16 << 20], ids=["4MiB", "16MiB"])
def test_probe_echo_completes_while_a_huge_message_is_still_being_written(
    listener: tuple[subprocess.Popen[bytes], str, int], size: int
) -> None:
    proc, url, pipe_size = listener
    with ws_connect(url, max_size=None, open_timeout=10, close_timeout=2) as big:
        big.send("a" * size)
        assert (
            big.recv(timeout=30) == "a" * size
        )  # the echo: the listener is now reporting the message
        with ws_connect(
            url, open_timeout=10, close_timeout=2
        ) as probe:  # stuck here when output blocks
            t0 = time.perf_counter()
            probe.send("probe")
            assert probe.recv(timeout=10) == "probe"
            rtt = time.perf_counter() - t0
            probe.send("again")  # a second round trip: the probe's reading was not held back
            assert probe.recv(timeout=10) == "again"
    out, _ = proc.communicate(timeout=60)
    lines = out.splitlines()
    events = [json.loads(line) for line in lines]
    big_at = next(
        i
        for i, e in enumerate(events)
        if e["event"] == "message" and e["conn"] == "c1" and e["direction"] == "c2s"
    )
    probe_at = next(
        i
        for i, e in enumerate(events)
        if e["event"] == "message" and e["conn"] == "c2" and e["direction"] == "c2s"
    )
    # The big message's JSON came before the probe's, and it is far larger than the pipe: it
    # could not all be written while the test read nothing, yet the probe's echo came back.
    assert big_at < probe_at
    assert sum(len(line) + 1 for line in lines[: big_at + 1]) > 100 * pipe_size
    # Nothing was cut or lost: the full text, every frame, in order.
    assert events[big_at]["text"] == "a" * size and "truncated" not in events[big_at]
    frames_in = [
        e for e in events if e["event"] == "frame" and e["conn"] == "c1" and e["direction"] == "c2s"
    ]
    assert frames_in[0]["rsv1"] and len(frames_in[0]["inflated_hex"]) == 2 * size
    probe_texts = [e["text"] for e in events if e["event"] == "message" and e["conn"] == "c2"]
    assert probe_texts == ["probe", "probe", "again", "again"]
    print(f"probe echo round trip while the big message's JSON was blocked: {rtt * 1000:.1f} ms")


def test_json_max_payload_cuts_and_marks() -> None:
    proc, url, _ = start_listener("--echo", "--once", "--json-max-payload", "100", "--no-deflate")
    text = "é" * 600  # 1,200 bytes of UTF-8
    with ws_connect(url, open_timeout=10, close_timeout=2) as ws:
        ws.send(text)
        assert ws.recv(timeout=10) == text  # the cap is for the output only
        ws.send(b"\x01" * 50)
        assert ws.recv(timeout=10) == b"\x01" * 50
    out, err = proc.communicate(timeout=30)
    events = [json.loads(line) for line in out.splitlines()]
    frame = next(
        e for e in events if e["event"] == "frame" and e["direction"] == "c2s" and e["opcode"] == 1
    )
    assert frame["truncated"] is True
    assert frame["full_lengths"] == {"text": 1200, "payload_hex": 1200}
    assert frame["payload_length"] == 1200 and len(frame["payload_hex"]) == 200
    assert frame["text"] == "é" * 50  # 100 bytes, cut on a character boundary
    payload_field = next(f for f in frame["fields"] if f["name"] == "payload")
    assert payload_field["truncated"] is True and len(payload_field["value"]) == 200
    msg = next(
        e
        for e in events
        if e["event"] == "message" and e["direction"] == "c2s" and e["opcode"] == 1
    )
    assert msg["text"] == "é" * 50 and msg["size"] == 1200 and msg["full_lengths"] == {"text": 1200}
    small = next(
        e
        for e in events
        if e["event"] == "message" and e["direction"] == "c2s" and e["opcode"] == 2
    )
    assert small["payload_hex"] == "01" * 50 and "truncated" not in small


def _doc(payload: bytes, **kw: Any) -> dict[str, Any]:
    rec = decode_bytes(build("text", payload, mask_key=b"\x01\x02\x03\x04"), sender=None).records[0]
    return frame_json(rec, **kw)


@pytest.mark.parametrize(
    "payload", [b"", "\x1b]52;c;x\x07 \u202e \U0001f600 ok".encode() * 9000, b"z" * 700_000]
)
def test_lazy_pieces_are_the_same_json(payload: bytes) -> None:
    """The writer thread's chunked encoding is byte for byte what one dumps() call gives."""
    lazy = _doc(payload, lazy=True)
    assert len(payload) < 65536 or any(isinstance(v, Blob) for v in lazy.values())
    text = "".join(iter_json(lazy))
    assert text == dumps(_doc(payload))
    assert (
        "\x1b" not in text and "\u202e" not in text and json.loads(text)["text"] == payload.decode()
    )
    assert dumps(
        message_json(
            decode_bytes(build("binary", payload), sender=None).records[0].message, lazy=True
        )
    ) == dumps(message_json(decode_bytes(build("binary", payload), sender=None).records[0].message))


def _through_a_pipe(emit: Any) -> list[str]:
    """The lines a threaded JsonReporter writes into a real pipe while ``emit(reporter)`` runs,
    read on another thread, all of them once close() has returned."""
    from wsdebug.live.reporter import JsonReporter

    r, w = os.pipe()
    chunks: list[bytes] = []

    def read() -> None:
        while data := os.read(r, 1 << 20):
            chunks.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    with os.fdopen(w, "w", encoding="utf-8") as out:
        rep = JsonReporter(out, threaded=True)
        emit(rep)
        rep.close()
        assert rep.idle()
    reader.join(30)
    os.close(r)
    return b"".join(chunks).decode().splitlines()


def test_threaded_reporter_keeps_order_and_loses_nothing() -> None:
    """Through a real pipe: every event, in the order emitted, big ones whole, after close()."""
    from wsdebug.codec.events import MessageEvent
    from wsdebug.codec.spec import Direction
    from wsdebug.live.reporter import JsonReporter

    big = decode_bytes(build("text", "é\x1b".encode() * 300_000), sender=None).records[0].message
    assert big is not None

    def emit(rep: JsonReporter) -> None:
        for i in range(300):
            rep.info(f"n{i}")
            if i % 100 == 0:
                rep.events("c1", 0.0, [MessageEvent(big, Direction.C2S)])

    lines = _through_a_pipe(emit)
    events = [json.loads(line) for line in lines]
    assert [e["message"] for e in events if e["event"] == "info"] == [f"n{i}" for i in range(300)]
    bigs = [i for i, e in enumerate(events) if e["event"] == "message"]
    assert bigs == [1, 102, 203] and all(events[i]["text"] == "é\x1b" * 300_000 for i in bigs)


def test_threaded_reporter_frame_lines_are_event_json() -> None:
    """The writer's lines for frames (a template per header shape, filled on the loop) and
    messages (one format call) are the lines event_json gives, byte for byte: masked and not,
    every length form, text with escapes and markup, binary, control frames, a bad frame,
    several connections, times JSON writes as repr() and one it does not."""
    from wsdebug.capture.serialize import event_json
    from wsdebug.codec.events import FrameEvent, MessageEvent
    from wsdebug.codec.spec import Role
    from wsdebug.live.reporter import JsonReporter

    def frames(sender: Role, mask: bytes | None) -> list[Any]:
        data = b"".join(
            build(kind, payload, mask_key=mask)
            for _ in range(3)  # a shape seen again is written from its template
            for kind, payload in [
                ("text", b"hello"),
                ("text", 'q"\\\x1b[31m[bold]x[/]\u202e'.encode()),
                ("binary", bytes(range(256)) * 2),
                ("binary", b"\x00" * 70_000),
                ("ping", b"p"),
                ("pong", b""),
                ("text", "厉害了".encode()),
            ]
        )
        # the wrong mask bit for the sender (RFC 6455 5.1): a frame no template writes
        data += (b"\x81\x85\x00\x00\x00\x00" if mask is None else b"\x81\x05") + b"abcde"
        return decode_bytes(data, sender=sender).records

    events: list[Any] = []
    stamps = [1.25, 0.1 + 0.2, 1e16, 1764672000.123456, float("inf"), 3]
    for n, (sender, mask) in enumerate([(Role.CLIENT, b"\x01\x02\x03\x04"), (Role.SERVER, None)]):
        for i, rec in enumerate(frames(sender, mask)):
            batch: list[Any] = [FrameEvent(rec, rec.direction)]
            if rec.message is not None:  # and its message's line
                batch.append(MessageEvent(rec.message, rec.direction))
            for ev in batch:
                ev.conn, ev.t = f'c{n}\u2028"{i % 2}', stamps[i % len(stamps)]
            events += batch
    expected = ["".join(iter_json(event_json(ev, lazy=True))) for ev in events]

    def emit(rep: JsonReporter) -> None:
        for ev in events:
            rep.events(ev.conn, ev.t, [ev])

    assert _through_a_pipe(emit) == expected
