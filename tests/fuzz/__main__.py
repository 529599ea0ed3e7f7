"""Coverage-guided fuzzing of one target with atheris (libFuzzer):

    python -m tests.fuzz --list
    python -m tests.fuzz TARGET [--hang SECONDS] [libFuzzer flags, e.g. -max_total_time=60]

Inputs start from the seed corpus tests/fuzz/corpus/TARGET/ (read only); what atheris finds is
kept in tests/fuzz/.work/TARGET/ and a failing input is saved as
tests/fuzz/.work/crash-TARGET-<sha1> (replay it with ``python -m tests.fuzz TARGET FILE``, or
copy it into the seed corpus so that tests/fuzz/test_fuzz.py replays it for ever).

Every input runs under a watchdog: past ``--hang`` seconds of CPU time (1 by default) it
raises :class:`~tests.fuzz.targets.Hang`, which atheris reports as a crash with the input
saved.  libFuzzer's own ``-timeout`` (10 s here unless given) still catches a loop inside a C
call that never returns to Python; ``-rss_limit_mb`` (1024 here unless given) bounds memory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).parent
WORK = HERE / ".work"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz",
        description=__doc__.split("\n\n")[0],
        epilog="Other arguments go to libFuzzer (-help=1 lists them).",
    )
    parser.add_argument("target", nargs="?", help="the target to fuzz (see --list)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument(
        "--hang",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="CPU seconds one input may take before it counts as a hang (default 1)",
    )
    args, libfuzzer = parser.parse_known_args(argv)
    if args.list or args.target is None:
        from .targets import TARGETS

        for target in TARGETS.values():
            print(f"{target.name:20} {target.doc}")
        return 0 if args.list else 2

    import atheris

    with atheris.instrument_imports(include=["wsdebug"]):
        from . import targets
    if args.target not in targets.TARGETS:
        parser.error(f"no target {args.target!r}: choose one of {', '.join(targets.TARGETS)}")
    run, hang, watchdog = targets.TARGETS[args.target].run, args.hang, targets.watchdog

    def one_input(data: bytes) -> None:
        with watchdog(hang, cpu=True):
            run(data)

    files = [a for a in libfuzzer if not a.startswith("-")]
    flags = [a for a in libfuzzer if a.startswith("-")]
    if not any(f.startswith("-timeout=") for f in flags):
        flags.append("-timeout=10")
    if not any(f.startswith("-rss_limit_mb=") for f in flags):
        flags.append("-rss_limit_mb=1024")  # the limits: 1 MiB messages, 64 MiB of dump expansion
    if not files:  # fuzz from the seed corpus; a file argument replays just that input
        work = WORK / args.target
        work.mkdir(parents=True, exist_ok=True)
        files = [str(work), str(HERE / "corpus" / args.target)]
        if not any(f.startswith("-artifact_prefix=") for f in flags):
            flags.append(f"-artifact_prefix={WORK}/crash-{args.target}-")
    atheris.Setup([sys.argv[0], *flags, *files], one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
