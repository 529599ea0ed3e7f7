"""Cold start of ``wsdebug decode HEX`` against a minimal two-command typer app (issue 10).

Both run as fresh subprocesses of the same interpreter, round-robin, best of N wall-clock:

* **reference**: a typer app with two commands (``hello NAME`` / ``bye NAME``) that prints one
  line, written to a temporary file and run as ``python APP hello world``;
* **wsdebug**: ``python -m wsdebug decode [--plain] HEX`` on a 12-byte masked text frame, the
  working tree first on ``PYTHONPATH``.

Target: wsdebug's best time at most 1.3x the reference's.  The script also lists which heavy
modules each wsdebug command imported (rich, prompt_toolkit, asyncio, ssl, dpkt, cryptography,
pydantic's own typer adapter is shared with the reference), read from ``-X importtime``.

    .venv/bin/python benchmarks/bench_startup.py            # best of 15
    .venv/bin/python benchmarks/bench_startup.py -n 30      # best of 30
    .venv/bin/python benchmarks/bench_startup.py --check    # exit 1 if a target fails
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.3
FRAME = "818537fa213d7f9f4d5158"  # RFC 6455 §5.7: a masked TEXT "Hello"
HEAVY = ("rich", "prompt_toolkit", "asyncio", "ssl", "dpkt", "cryptography", "orjson")

MINIMAL_APP = """\
import typer

app = typer.Typer(add_completion=False)


@app.command()
def hello(name: str) -> None:
    print(f"hello {name}")


@app.command()
def bye(name: str) -> None:
    print(f"bye {name}")


app()
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def _run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def _imported(cmd: list[str], env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        [cmd[0], "-X", "importtime", *cmd[1:]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    names = {line.rsplit("|", 1)[-1].strip() for line in out.splitlines() if "|" in line}
    return [h for h in HEAVY if h in names]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=15, help="runs of each command (best kept)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    args = ap.parse_args()
    env = _env()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp, "minimal_app.py")
        app.write_text(MINIMAL_APP)
        cmds = {
            "minimal typer app": [py, str(app), "hello", "world"],
            "wsdebug decode --plain HEX": [py, "-m", "wsdebug", "decode", "--plain", FRAME],
            "wsdebug decode HEX": [py, "-m", "wsdebug", "decode", FRAME],
            "wsdebug decode --json HEX": [py, "-m", "wsdebug", "decode", "--json", FRAME],
        }
        times: dict[str, list[float]] = {name: [] for name in cmds}
        for cmd in cmds.values():  # warm the page cache and the .pyc files
            _run(cmd, env)
        order = list(cmds)
        for i in range(args.n):
            for name in order[i % len(order) :] + order[: i % len(order)]:
                times[name].append(_run(cmds[name], env))
        ref = min(times["minimal typer app"])
        print(
            f"python {sys.version.split()[0]}, best of {args.n}, round-robin; target <= {TARGET}x"
        )
        print(f"{'command':30} {'best ms':>8} {'median ms':>10} {'ratio':>6}  heavy imports")
        failed = False
        for name, cmd in cmds.items():
            best, median = min(times[name]), sorted(times[name])[len(times[name]) // 2]
            ratio = best / ref
            heavy = ", ".join(_imported(cmd, env)) or "-"
            verdict = ""
            if name != "minimal typer app":
                ok = ratio <= TARGET
                failed |= not ok
                verdict = "PASS" if ok else "FAIL"
            print(
                f"{name:30} {best * 1e3:8.0f} {median * 1e3:10.0f} {ratio:5.2f}x  {heavy} {verdict}"
            )
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
