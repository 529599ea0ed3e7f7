"""Parse speed of wsdebug's frame codec against the websockets library, in one run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_codec.py            # full run (~1 min)
    .venv/bin/python benchmarks/bench_codec.py --quick    # fewer repeats
    .venv/bin/python benchmarks/bench_codec.py --check    # exit 1 when a target fails

Workloads (client-to-server, i.e. masked, frames; each frame has its own mask key):

    small   100,000 frames with a 10-byte payload   (16 bytes on the wire each)
    1k       10,000 frames with a 1 KiB payload   (1,032 bytes on the wire each)
    64M           1 frame with a 64 MiB payload

Implementations, each fed the whole pre-built buffer in one call:

    websockets      websockets.frames.Frame.parse driven by websockets.streams.StreamReader
                    (feed_data, then one Frame.parse generator per frame until the buffer is
                    empty); the baseline every ratio is computed against.
    wsdebug parse   FrameParser(Role.CLIENT).receive_data() + frames(): header, mask bit,
                    rule checks, unmasking; a WireFrame per frame.
    wsdebug decode  StreamDecoder(Role.CLIENT).receive_data(): the above plus message assembly,
                    close parsing and (for TEXT) incremental UTF-8 validation.
    wsdebug annotate  decode plus annotate() of every frame (every Field built).

Timing covers feeding the buffer plus parsing every frame, for every implementation (so
websockets' copy into its bytearray buffer is included, as wsdebug's receive_data is), with the
garbage collector disabled; the best of N repeats is kept.  Implementations are run round-robin
within each repeat so that load from other processes hits them alike.  MB/s counts wire bytes
(10**6 bytes per MB).

Peak memory is measured with tracemalloc around the same feed + parse of the 64 MiB frame: the
peak of allocations made during the parse (the input buffer is allocated before and not
counted; the parsed payload, which the caller keeps, is counted), as a multiple of 64 MiB.

The script always exits 0 (it is a report) unless --check is given: then it exits 1 when a
target fails.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)  # benchmark the working tree, not an installed copy

import contextlib  # noqa: E402

import websockets  # noqa: E402
import websockets.frames as ws_frames  # noqa: E402
from websockets.frames import Frame  # noqa: E402
from websockets.streams import StreamReader  # noqa: E402

from wsdebug.codec.annotate import annotate  # noqa: E402
from wsdebug.codec.frames import FrameParser, encode_frame  # noqa: E402
from wsdebug.codec.spec import Opcode, Role  # noqa: E402
from wsdebug.codec.stream import StreamDecoder  # noqa: E402

MiB = 1 << 20

# -- targets --------------------------------------------------------------------------------------

TARGET_PARSE_SMALL = 1.0  #: wsdebug parse / websockets, frames/s, workload "small"
TARGET_PARSE_BIG = 1.0  #: wsdebug parse / websockets, workload "64M"
TARGET_ANNOTATE_SMALL = 0.3  #: wsdebug annotate / websockets, workload "small"
TARGET_PEAK_BIG = 3.0  #: wsdebug parse peak allocations / 64 MiB


# -- inputs ---------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    label: str
    buf: bytes
    frames: int
    payloads: list[bytes]  #: first and last payload, to verify every implementation
    repeats: int
    big: bool = False


def build(
    name: str,
    label: str,
    opcode: int,
    payload: bytes,
    count: int,
    repeats: int,
    *,
    big: bool = False,
) -> Workload:
    rng = random.Random(6455)
    parts = [encode_frame(opcode, payload, mask_key=rng.randbytes(4)) for _ in range(count)]
    buf = b"".join(parts)
    del parts
    return Workload(name, label, buf, count, [payload], repeats, big)


# -- implementations: each takes the buffer and returns the list of parsed frames/records ---------


def ws_parse(buf: bytes) -> list[Any]:
    reader = StreamReader()
    reader.feed_data(buf)
    parse = Frame.parse
    read_exact = reader.read_exact
    buffer = reader.buffer
    out = []
    append = out.append
    while buffer:
        g = parse(read_exact, mask=True, max_size=None, extensions=[])
        try:
            next(g)
        except StopIteration as exc:
            append(exc.value)
        else:  # pragma: no cover - the whole buffer is there, so the generator never waits
            raise RuntimeError("websockets wanted more data")
    return out


def wsd_parse(buf: bytes) -> list[Any]:
    parser = FrameParser(Role.CLIENT)
    parser.receive_data(buf)
    return parser.frames()


def wsd_decode(buf: bytes) -> list[Any]:
    return StreamDecoder(Role.CLIENT).receive_data(buf)


def wsd_annotate(buf: bytes) -> list[Any]:
    records = StreamDecoder(Role.CLIENT).receive_data(buf)
    return [(rec, annotate(rec.frame)) for rec in records]


def payload_of(item: Any) -> bytes:
    if type(item) is tuple:  # (record, fields) from wsd_annotate
        item = item[0]
    if hasattr(item, "frame"):  # FrameRecord
        item = item.frame
    if hasattr(item, "data"):  # websockets Frame
        return bytes(item.data)
    return item.payload  # WireFrame


def verify(impl: str, wl: Workload, out: list[Any]) -> None:
    """Outside the timed region: the implementation parsed every frame, correctly."""
    if len(out) != wl.frames:
        raise SystemExit(f"{impl} on {wl.name}: {len(out)} frames, expected {wl.frames}")
    for item in (out[0], out[-1]):
        if payload_of(item) != wl.payloads[0]:
            raise SystemExit(f"{impl} on {wl.name}: wrong payload")
    if impl.startswith("wsdebug") and impl != "wsdebug parse":
        rec = out[0][0] if type(out[0]) is tuple else out[0]
        if rec.problems:
            raise SystemExit(f"{impl} on {wl.name}: unexpected problems {rec.problems}")
        last = out[-1][0] if type(out[-1]) is tuple else out[-1]
        if last.message is None:
            raise SystemExit(f"{impl} on {wl.name}: no message decoded")
        if last.message.opcode == Opcode.TEXT and last.message.text is None:
            raise SystemExit(f"{impl} on {wl.name}: text not decoded")
    if type(out[0]) is tuple:
        names = [f.name for f in out[0][1]]
        if "masking key" not in names or "payload" not in names:
            raise SystemExit(f"{impl} on {wl.name}: annotation incomplete: {names}")


# -- measurement ----------------------------------------------------------------------------------


def timed(fn: Callable[[bytes], list[Any]], buf: bytes) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        out = fn(buf)
        t1 = time.perf_counter()
    finally:
        gc.enable()
    del out  # freeing the frames is not part of the parse
    return t1 - t0


def peak_memory(fn: Callable[[bytes], list[Any]], buf: bytes) -> float:
    """Peak bytes allocated while ``fn`` parses ``buf``, in units of the buffer's payload."""
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn(buf)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        gc.enable()
    del out
    return peak


@dataclass
class Row:
    workload: Workload
    impl: str
    times: list[float]
    baseline: Row | None = None

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def fps(self) -> float:
        return self.workload.frames / self.best

    @property
    def mbps(self) -> float:
        return len(self.workload.buf) / self.best / 1e6

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline is self:
            return None
        return self.baseline.best / self.best


def run_workload(
    wl: Workload, impls: list[tuple[str, Callable[[bytes], list[Any]]]], verbose: bool
) -> dict[str, Row]:
    for name, fn in impls:  # warm-up and correctness, untimed
        out = fn(wl.buf)
        verify(name, wl, out)
        del out
    rows = {name: Row(wl, name, []) for name, _ in impls}
    for r in range(wl.repeats):
        # rotate the order each repeat so no implementation always runs first
        order = impls[r % len(impls) :] + impls[: r % len(impls)]
        for name, fn in order:
            rows[name].times.append(timed(fn, wl.buf))
        if verbose:
            print(f"  {wl.name} repeat {r + 1}/{wl.repeats} done", file=sys.stderr)
    base = rows["websockets"]
    for row in rows.values():
        row.baseline = base
    return rows


# -- report ---------------------------------------------------------------------------------------


def fmt_rate(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.2f}"


def speedups_in_use() -> str:
    try:
        import websockets.speedups as sp
    except ImportError as exc:
        return f"no (websockets.speedups not importable: {exc})"
    if ws_frames.apply_mask is sp.apply_mask:
        return "yes (websockets.frames.apply_mask is the C websockets.speedups.apply_mask)"
    return "no (websockets.speedups importable, but frames.apply_mask is the Python one)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (2 small, 1 for 64 MiB)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    ap.add_argument("-v", "--verbose", action="store_true", help="progress on stderr")
    args = ap.parse_args(argv)

    n_small, n_big = (2, 1) if args.quick else (5, 3)

    print("wsdebug codec benchmark")
    print(
        f"  Python      {platform.python_implementation()} {sys.version.split()[0]}"
        f" ({platform.machine()}, {os.cpu_count()} CPUs)"
    )
    print(f"  websockets  {websockets.__version__}")
    print(f"  C speedups  {speedups_in_use()}")
    with contextlib.suppress(OSError):
        print(
            f"  load avg    {' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work skews timings)"
        )
    print(
        f"  repeats     best of {n_small} (small, 1k) / {n_big} (64M)"
        f"{'  [--quick]' if args.quick else ''}"
    )
    print(flush=True)

    text_payload = "héllo wrd".encode()  # 10 bytes, one 2-byte sequence
    assert len(text_payload) == 10
    rng = random.Random(0)
    workloads = [
        build("small", "100k x 10 B binary", Opcode.BINARY, rng.randbytes(10), 100_000, n_small),
        build("small-text", "100k x 10 B text", Opcode.TEXT, text_payload, 100_000, n_small),
        build("1k", "10k x 1 KiB binary", Opcode.BINARY, rng.randbytes(1024), 10_000, n_small),
        build(
            "64M", "1 x 64 MiB binary", Opcode.BINARY, rng.randbytes(64 * MiB), 1, n_big, big=True
        ),
    ]
    full = [
        ("websockets", ws_parse),
        ("wsdebug parse", wsd_parse),
        ("wsdebug decode", wsd_decode),
        ("wsdebug annotate", wsd_annotate),
    ]
    # The text variant is about UTF-8 decoding: its baseline is websockets on the same bytes.
    text = [("websockets", ws_parse), ("wsdebug decode", wsd_decode)]

    results: dict[str, dict[str, Row]] = {}
    for wl in workloads:
        results[wl.name] = run_workload(wl, text if wl.name == "small-text" else full, args.verbose)

    # Peak memory, 64 MiB frame.
    big = workloads[-1]
    payload_size = len(big.payloads[0])
    peaks = {
        name: peak_memory(fn, big.buf)
        for name, fn in (
            ("websockets", ws_parse),
            ("wsdebug parse", wsd_parse),
            ("wsdebug decode", wsd_decode),
        )
    }

    # -- table
    hdr = f"{'workload':<20} {'implementation':<17} {'best ms':>9} {'median':>9} {'frames/s':>10} {'MB/s':>8} {'vs ws':>7}"
    print(hdr)
    print("-" * len(hdr))
    for wl in workloads:
        for row in results[wl.name].values():
            ratio = row.ratio
            print(
                f"{wl.label:<20} {row.impl:<17} {row.best * 1e3:9.2f}"
                f" {statistics.median(row.times) * 1e3:9.2f} {fmt_rate(row.fps):>10}"
                f" {row.mbps:8.1f} {'1.00x' if ratio is None else f'{ratio:.2f}x':>7}"
            )
        print()
    print(
        "Timed: feed + parse of the whole buffer (websockets' copy into its StreamReader included);"
    )
    print("MB/s counts wire bytes.  websockets' Frame.parse does not assemble messages or check")
    print("UTF-8, so 'decode'/'annotate' rows compare more work against the same baseline.")
    print()
    print("Peak memory while parsing the 64 MiB frame (tracemalloc, allocations during the parse):")
    for name, peak in peaks.items():
        print(f"  {name:<17} {peak / MiB:8.1f} MiB  = {peak / payload_size:.2f}x the payload")
    print()

    # -- targets
    checks = [
        (
            f"plain parse >= {TARGET_PARSE_SMALL:.1f}x websockets, 100k x 10 B",
            results["small"]["wsdebug parse"].ratio,
            TARGET_PARSE_SMALL,
            True,
        ),
        (
            f"plain parse >= {TARGET_PARSE_BIG:.1f}x websockets, 64 MiB frame",
            results["64M"]["wsdebug parse"].ratio,
            TARGET_PARSE_BIG,
            True,
        ),
        (
            f"full annotation >= {TARGET_ANNOTATE_SMALL:.1f}x websockets, 100k x 10 B",
            results["small"]["wsdebug annotate"].ratio,
            TARGET_ANNOTATE_SMALL,
            True,
        ),
        (
            f"plain parse peak memory < {TARGET_PEAK_BIG:.0f}x, 64 MiB frame",
            peaks["wsdebug parse"] / payload_size,
            TARGET_PEAK_BIG,
            False,
        ),
    ]
    print("Targets:")
    failed = 0
    for desc, value, target, higher_is_better in checks:
        ok = value >= target if higher_is_better else value < target
        failed += not ok
        print(f"  [{'PASS' if ok else 'FAIL'}] {desc:<48} measured {value:.2f}x")
    print()
    print(
        f"{len(checks) - failed}/{len(checks)} targets met."
        + ("" if not failed else "  (Timings are best-of-N on a shared machine: rerun to confirm.)")
    )
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
