"""``wsdebug test --client``: the websockets library's client driven through cases the way an
Autobahn client test driver does (getCaseCount, runCase?case=N&agent=NAME, updateReports)."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

CASES = "1.1.1,1.2.8,2.2,2.10,3.1,4.2.5,5.6,6.3.1,6.4.1,7.1.5,7.9.1,12.1.1,13.3.1,13.5.1"


async def drive(base: str, agent: str) -> tuple[int, dict[str, str]]:
    """The driver loop of websockets' own compliance client, plus getCaseInfo."""
    async with connect(f"{base}/getCaseCount") as ws:
        count = json.loads(await ws.recv())
    ids = {}
    for case in range(1, count + 1):
        async with connect(f"{base}/getCaseInfo?case={case}") as ws:
            info = json.loads(await ws.recv())
            ids[str(case)] = info["id"]
        try:
            async with connect(f"{base}/runCase?case={case}&agent={agent}", max_size=2**25) as ws:
                async for msg in ws:
                    await ws.send(msg)
        except WebSocketException:
            pass
    async with connect(f"{base}/updateReports?agent={agent}"):
        pass
    return count, ids


def test_websockets_client_through_the_fuzzing_server(tmp_path: Path) -> None:
    report = tmp_path / "client.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wsdebug",
            "test",
            "--client",
            "--port",
            "0",
            "--cases",
            CASES,
            "--deflate-count",
            "3",
            "--plain",
            "-q",
            "--json",
            str(report),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        m = re.search(r"ws://127\.0\.0\.1:(\d+)/", first)
        assert m, first
        count, ids = asyncio.run(
            asyncio.wait_for(drive(f"ws://127.0.0.1:{m.group(1)}", "websockets-client"), 60)
        )
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert count == len(CASES.split(","))
    assert list(ids.values()) == CASES.split(",")
    assert proc.returncode == 1, err  # 7.1.5: websockets answers 1002, as under Autobahn
    doc = json.loads(report.read_text())
    assert doc["agent"] == "websockets-client"
    got = {c["id"]: (c["grade"], c["close_grade"]) for c in doc["cases"]}
    assert got.pop("7.1.5") == ("FAILED", "WRONG CODE")
    assert got.pop("6.4.1") == ("NON-STRICT", "OK")
    # The client offers only client_max_window_bits, so 13.5 (no context takeover asked of
    # the client) is declined, as Autobahn's accept function declines it.
    assert got.pop("13.5.1")[0] == "UNIMPLEMENTED"
    assert got == {cid: ("OK", "OK") for cid in got}, got
    frames = {c["id"]: c["frames"] for c in doc["cases"]}["3.1"]
    # As the server, wsdebug sends unmasked frames; the client's are masked.
    assert {f["masked"] for f in frames if f["direction"] == "s2c"} == {False}
    assert {f["masked"] for f in frames if f["direction"] == "c2s"} == {True}
    assert "14 cases, 1 failed" in out
