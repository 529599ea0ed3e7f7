"""Cold start of ``wsdebug decode HEX`` against a minimal two-command typer app (issue 10).

Both sides run the same way, so that only the program differs: fresh subprocesses of this
interpreter, with the same flags (none: ``-X frozen_modules`` at its default for both), the same
environment and ``PYTHONPATH`` (the working tree and the reference's temporary directory), both
as ``python -m MODULE`` (or, with ``--via script``, both through a console script: the venv's
``wsdebug`` and the same pip-style wrapper for the reference), round-robin, after one warm-up run of each (page cache and ``.pyc``
files: ``PYTHONDONTWRITEBYTECODE`` is dropped from the children's environment, or every edited
module would be compiled on every run while site-packages has its ``.pyc``).

* **reference**: a typer app with two commands (``hello NAME`` / ``bye NAME``) that prints one
  line, written to a temporary directory and run as ``python -m minimal_app hello world``;
  ``--help`` of the same app is the reference for ``wsdebug --help``;
* **wsdebug**: ``python -m wsdebug decode [--plain|--json] HEX`` on a 12-byte masked text frame,
  and ``python -m wsdebug --help``.

wsdebug's ``main()`` pauses the cyclic GC until the command's body runs (``cli/app.py``); a
third reference, ``minimal_app_gc``, is the same minimal app doing the same, so the report also
says how much of the ratio is that pause (printed under the table, not a target).

Target: wsdebug at most 1.3x the reference.  The ratio is of the best wall-clock times (the
least disturbed run; the median is printed beside it); on a busy machine the children's CPU time
(user + system, also best of N) is steadier and printed too.  The script also lists which
heavy modules each command imported (rich, prompt_toolkit, asyncio, ssl, dpkt, cryptography,
orjson), read from ``-X importtime``.

    .venv/bin/python benchmarks/bench_startup.py            # best of 15
    .venv/bin/python benchmarks/bench_startup.py --quick    # best of 5
    .venv/bin/python benchmarks/bench_startup.py -n 30      # best of 30
    .venv/bin/python benchmarks/bench_startup.py --check    # exit 1 if a target fails
    .venv/bin/python benchmarks/bench_startup.py --via script   # console scripts, both sides
    .venv/bin/python benchmarks/bench_startup.py --tty   # output to a terminal (colour)
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
"""


MINIMAL_APP_GC = (
    MINIMAL_APP.replace("import typer\n", "import gc\n\nimport typer\n")
    .replace(":\n    print(", ":\n    gc.freeze()\n    gc.enable()\n    print(")
    .replace("\n    app()\n", "\n    gc.disable()\n    app()\n")
)

#: What pip writes for a ``[project.scripts]`` entry point (wsdebug's own is in the venv's bin).
CONSOLE_SCRIPT = """\
import sys
from {module} import main
if __name__ == '__main__':
    sys.argv[0] = sys.argv[0].removesuffix('.exe')
    sys.exit(main())
"""


def _env(tmp: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), tmp, env.get("PYTHONPATH", "")])
    for name in ("PYTHONPROFILEIMPORTTIME", "PYTHONDONTWRITEBYTECODE", "PYTHONDEVMODE"):
        env.pop(name, None)
    return env


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # EIO: the child closed the terminal
        pass


def _run(cmd: list[str], env: dict[str, str], tty: bool = False) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) seconds of one run of ``cmd``.

    Output goes to /dev/null, or with ``tty`` to a pseudo-terminal (colour, as a person sees
    it) read and dropped by a thread.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if tty:
        master, slave = os.openpty()
        reader = threading.Thread(target=_drain, args=(master,))
        reader.start()
        start = time.perf_counter()
        subprocess.run(cmd, env=env, stdout=slave, stderr=slave, check=False)
        wall = time.perf_counter() - start
        os.close(slave)
        reader.join()
        os.close(master)
    else:
        start = time.perf_counter()
        devnull = subprocess.DEVNULL
        subprocess.run(cmd, env=env, stdout=devnull, stderr=devnull, check=False)
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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


#: name -> (program, its arguments, the reference it is compared with)
CASES: dict[str, tuple[str, list[str], str]] = {
    "minimal typer app": ("minimal_app", ["hello", "world"], ""),
    "minimal typer app --help": ("minimal_app", ["--help"], ""),
    "minimal app, GC paused": ("minimal_app_gc", ["hello", "world"], ""),
    "wsdebug decode HEX": ("wsdebug", ["decode", FRAME], "minimal typer app"),
    "wsdebug decode --plain HEX": ("wsdebug", ["decode", "--plain", FRAME], "minimal typer app"),
    "wsdebug decode --json HEX": ("wsdebug", ["decode", "--json", FRAME], "minimal typer app"),
    "wsdebug --help": ("wsdebug", ["--help"], "minimal typer app --help"),
}


def _commands(via: str, tmp: str) -> dict[str, list[str]]:
    """Each case as a command line: ``python -m PROGRAM ARGS`` or ``python SCRIPT ARGS``."""
    py = sys.executable
    if via == "module":
        return {name: [py, "-m", prog, *args] for name, (prog, args, _) in CASES.items()}
    scripts = {"wsdebug": Path(py).parent / "wsdebug"}
    if not scripts["wsdebug"].exists():
        sys.exit(f"--via script: no console script at {scripts['wsdebug']} (pip install -e .)")
    for prog in ("minimal_app", "minimal_app_gc"):
        scripts[prog] = Path(tmp, prog + "-script")
        scripts[prog].write_text(CONSOLE_SCRIPT.format(module=prog))
    # the interpreter named explicitly for both, so the shebang line cannot differ
    return {name: [py, str(scripts[prog]), *args] for name, (prog, args, _) in CASES.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=15, help="runs of each command (best kept)")
    ap.add_argument("--quick", action="store_true", help="best of 5 (-n 5)")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    ap.add_argument(
        "--via",
        choices=("module", "script"),
        default="module",
        help="run every side as python -m MODULE (default) or through its console script",
    )
    ap.add_argument(
        "--tty", action="store_true", help="write to a pseudo-terminal (colour), not /dev/null"
    )
    args = ap.parse_args()
    n = 5 if args.quick else args.n
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "minimal_app.py").write_text(MINIMAL_APP)
        Path(tmp, "minimal_app_gc.py").write_text(MINIMAL_APP_GC)
        env = _env(tmp)
        cmds = _commands(args.via, tmp)
        walls: dict[str, list[float]] = {name: [] for name in cmds}
        cpus: dict[str, list[float]] = {name: [] for name in cmds}
        for cmd in cmds.values():  # warm the page cache and write the .pyc files
            _run(cmd, env, args.tty)
        order = list(cmds)
        for i in range(n):
            for name in order[i % len(order) :] + order[: i % len(order)]:
                wall, cpu = _run(cmds[name], env, args.tty)
                walls[name].append(wall)
                cpus[name].append(cpu)
        print(
            f"python {sys.version.split()[0]}, via {args.via}, to {'a pty' if args.tty else 'null'},"
            f" best of {n}, round-robin;"
            f" target <= {TARGET}x"
        )
        print(
            f"{'command':27} {'best ms':>7} {'median':>7} {'ratio':>6} {'median':>6}"
            f" {'cpu ms':>6} {'ratio':>6}  heavy imports"
        )
        failed = False
        for name, cmd in cmds.items():
            ref = CASES[name][2] or name
            best, median = min(walls[name]), sorted(walls[name])[len(walls[name]) // 2]
            ratio = best / min(walls[ref])
            median_ratio = median / sorted(walls[ref])[len(walls[ref]) // 2]
            cpu_ratio = min(cpus[name]) / min(cpus[ref])
            heavy = ", ".join(_imported(cmd, env)) or "-"
            verdict = ""
            if CASES[name][2]:
                ok = ratio <= TARGET
                failed |= not ok
                verdict = "PASS" if ok else "FAIL"
            print(
                f"{name:27} {best * 1e3:7.0f} {median * 1e3:7.0f} {ratio:5.2f}x {median_ratio:5.2f}x"
                f" {min(cpus[name]) * 1e3:6.0f} {cpu_ratio:5.2f}x  {heavy} {verdict}"
            )
        print("ratios: to 'minimal typer app' (decode) and to 'minimal typer app --help' (--help)")
        gc_ref = "minimal app, GC paused"
        print(
            f"against '{gc_ref}' (the same GC pause as wsdebug's main, not a target):",
            ", ".join(
                f"{name.removeprefix('wsdebug ')} {min(walls[name]) / min(walls[gc_ref]):.2f}x"
                f" (cpu {min(cpus[name]) / min(cpus[gc_ref]):.2f}x)"
                for name in cmds
                if CASES[name][2] == "minimal typer app"
            ),
        )
    return 1 if failed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
