"""Hostile inputs at the command line (issue 8, items 3-5): one line, a meaningful exit status.

- a capture whose last line is cut short replays everything before it and exits 1;
- deeply nested JSON, ``/dev/zero`` (as a file and as stdin), and files over ``--max-input``
  are one line and exit 2, never "internal error", never a MemoryError;
- file names with ESC, OSC 52 and BEL in them reach the terminal as visible escapes.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import wsdebug.cli
import wsdebug.cli.live
import wsdebug.cli.replay
from tests.capture.conftest import connection_pair_session

ENV = {k: v for k, v in os.environ.items() if k not in ("WSDEBUG_TRACEBACK", "FORCE_COLOR")} | {
    "NO_COLOR": "1",
    "COLUMNS": "200",
}
#: The address space a subprocess may use: far below what reading /dev/zero to the end takes,
#: so reading past the cap fails (MemoryError, "internal error") instead of filling the machine.
ADDRESS_SPACE = 1536 << 20


def one_line(result: Any, status: int, *fragments: str) -> str:
    """stderr is one "wsdebug: ..." line holding every fragment; the exit status is ``status``."""
    err = (
        result.stderr
        if isinstance(result.stderr, str)
        else result.stderr.decode("utf-8", "replace")
    )
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == status, (code, err)
    assert err.startswith("wsdebug: ") and err.count("\n") == 1 and err.endswith("\n"), repr(err)
    assert "internal error" not in err and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


def run(
    args: list[str], *, stdin: Any = subprocess.DEVNULL, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """``wsdebug ARGS`` in a subprocess whose address space is capped (see ADDRESS_SPACE)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "-m", "wsdebug", *args],
        stdin=stdin,
        capture_output=True,
        timeout=timeout,
        env=ENV,
        preexec_fn=limit,
    )


# -- item 3: a capture cut short by kill -9 ---------------------------------------------------------


def _events(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _data_line(lines: list[str]) -> int:
    """The index of the last data record with a long hex payload."""
    return max(i for i, line in enumerate(lines) if '"event":"data"' in line and len(line) > 2000)


def test_cut_last_line_replays_the_rest_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    lines = connection_pair_session().splitlines(keepends=True)
    i = _data_line(lines)
    whole, cut = tmp_path / "whole.jsonl", tmp_path / "cut.jsonl"
    whole.write_text("".join(lines[:i]), encoding="utf-8")
    kept = len(lines[i]) // 2
    cut.write_text(
        "".join(lines[:i]) + lines[i][:kept], encoding="utf-8"
    )  # killed while writing line i+1
    expected = runner.invoke(wsdebug.cli.app, ["replay", str(whole), "--json"])
    assert expected.exit_code in (0, 1) and expected.stderr == "", expected.stderr
    offset = len("".join(lines[:i]).encode("utf-8"))
    for args in (["--json"], ["--all", "--plain"]):
        result = runner.invoke(wsdebug.cli.app, ["replay", str(cut), *args])
        err = one_line(
            result,
            1,
            str(cut),
            f"cut short at byte {offset:,}",
            f"(line {i + 1})",
            f"the last {kept:,} bytes",
        )
        assert err.startswith("wsdebug: warning: ")
        if args == ["--json"]:
            assert _events(result.stdout) == _events(expected.stdout), (
                "the records before the cut replay unchanged"
            )
        else:
            assert "frames" in result.stdout


def test_cut_capture_on_stdin(runner: CliRunner) -> None:
    text = connection_pair_session()
    result = runner.invoke(wsdebug.cli.app, ["replay", "-", "--json"], input=text[:-40].encode())
    one_line(result, 1, "standard input: the capture is cut short")
    assert (
        runner.invoke(wsdebug.cli.app, ["replay", "-", "--json"], input=text.encode()).exit_code
        == 0
    )


def test_cut_inside_a_utf8_character(runner: CliRunner, tmp_path: Path) -> None:
    """The last record (an end reason in Chinese) cut in the middle of a character: still exit 1."""
    text = connection_pair_session().replace(
        '"reason":"closing handshake done"', '"reason":"厉害了"'
    )
    raw = text.encode("utf-8")
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(raw[: raw.rindex("厉".encode()) + 1])
    one_line(runner.invoke(wsdebug.cli.app, ["replay", str(cut), "--json"]), 1, "cut short")


def test_garbage_in_the_middle_stays_an_error(runner: CliRunner, tmp_path: Path) -> None:
    lines = connection_pair_session().splitlines(keepends=True)
    i = _data_line(lines)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "".join(lines[:i]) + lines[i][:100] + "\n" + "".join(lines[i + 1 :]), encoding="utf-8"
    )
    one_line(
        runner.invoke(wsdebug.cli.app, ["replay", str(bad), "--json"]),
        2,
        f"line {i + 1}",
        "not JSON",
    )
    # a cut line followed by a newline is not what a killed writer leaves: an error too
    bad.write_text("".join(lines[:i]) + lines[i][:100] + "\n", encoding="utf-8")
    one_line(
        runner.invoke(wsdebug.cli.app, ["replay", str(bad), "--json"]),
        2,
        f"line {i + 1}",
        "not JSON",
    )


def test_cut_header_is_unreadable(runner: CliRunner, tmp_path: Path) -> None:
    cut = tmp_path / "cut.jsonl"
    cut.write_text(connection_pair_session()[:50], encoding="utf-8")
    one_line(runner.invoke(wsdebug.cli.app, ["replay", str(cut)]), 2, "cut short inside its header")


# -- item 4: nested JSON, /dev/zero, size caps ------------------------------------------------------


def test_deeply_nested_har(runner: CliRunner, tmp_path: Path) -> None:
    har = tmp_path / "deep.har"
    har.write_text('{"log": {"entries": ' + "[" * 200_000 + "]" * 200_000 + "}}", encoding="utf-8")
    one_line(runner.invoke(wsdebug.cli.app, ["replay", str(har)]), 2, str(har), "nested too deeply")


def test_deeply_nested_jsonl_record(runner: CliRunner, tmp_path: Path) -> None:
    lines = connection_pair_session().splitlines(keepends=True)
    deep = '{"t":1,"conn":"c1","event":"data","x":' + "[" * 200_000 + "]" * 200_000 + "}\n"
    path = tmp_path / "deep.jsonl"
    path.write_text("".join(lines[:3]) + deep + "".join(lines[3:]), encoding="utf-8")
    one_line(
        runner.invoke(wsdebug.cli.app, ["replay", str(path), "--json"]),
        2,
        "line 4",
        "nested too deeply",
    )
    path.write_text(
        "".join(lines[:3]) + deep.rstrip("\n"), encoding="utf-8"
    )  # whole, as the last line
    one_line(
        runner.invoke(wsdebug.cli.app, ["replay", str(path), "--json"]),
        2,
        "line 4",
        "nested too deeply",
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["decode", "-f", "/dev/zero"], ["/dev/zero", "input limit of 256 MiB", "--max-input"]),
        (["decode", "-f", "/dev/zero", "--max-input", "1M"], ["/dev/zero", "input limit of 1 MiB"]),
        (["handshake", "check", "/dev/zero"], ["/dev/zero", "input limit of 1 MiB"]),
        (["replay", "/dev/zero"], ["/dev/zero", "binary data"]),
    ],
)
def test_dev_zero_as_a_file(args: list[str], fragments: list[str]) -> None:
    one_line(run(args), 2, *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["decode"], ["standard input", "input limit of 256 MiB"]),
        (["decode", "-f", "-", "--max-input", "64K"], ["standard input", "input limit of 64 KiB"]),
        (["handshake", "check"], ["standard input", "input limit of 1 MiB"]),
        (["handshake", "check", "-"], ["standard input", "input limit of 1 MiB"]),
        (["replay", "-"], ["standard input", "binary data"]),
    ],
)
def test_dev_zero_as_stdin(args: list[str], fragments: list[str]) -> None:
    with open("/dev/zero", "rb") as zero:
        one_line(run(args, stdin=zero), 2, *fragments)


def test_files_over_the_cap(runner: CliRunner, tmp_path: Path) -> None:
    capture = tmp_path / "big.jsonl"
    capture.write_text(connection_pair_session(), encoding="utf-8")
    size = capture.stat().st_size
    one_line(
        runner.invoke(wsdebug.cli.app, ["replay", str(capture), "--max-input", "100K"]),
        2,
        f"({size:,} bytes) is larger than the input limit of 100 KiB",
    )
    assert (
        runner.invoke(
            wsdebug.cli.app, ["replay", str(capture), "--json", "--max-input", str(size)]
        ).exit_code
        == 0
    )
    dump = tmp_path / "dump.txt"
    dump.write_text("81 05 48 65 6c 6c 6f\n" * 1000, encoding="utf-8")
    one_line(
        runner.invoke(wsdebug.cli.app, ["decode", "-f", str(dump), "--max-input", "4K"]),
        2,
        "input limit of 4 KiB",
    )
    assert (
        runner.invoke(
            wsdebug.cli.app, ["decode", "-f", str(dump), "--json", "--max-input", "1M"]
        ).exit_code
        == 0
    )


def test_a_pipe_over_the_cap_is_refused(tmp_path: Path) -> None:
    """Not a regular file (no size to check first): the cap applies while reading."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen(["sh", "-c", f"head -c 3000000 /dev/zero | tr '\\0' 'a' > {fifo}"])
    try:
        one_line(
            run(["replay", str(fifo), "--max-input", "1M"]), 2, str(fifo), "input limit of 1 MiB"
        )
    finally:
        writer.kill()
        writer.wait(10)


@pytest.mark.parametrize("value", ["lots", "-5", "0", "1X"])
def test_bad_max_input(runner: CliRunner, value: str) -> None:
    one_line(
        runner.invoke(wsdebug.cli.app, ["decode", "00", "--max-input", value]), 2, "--max-input"
    )


# -- item 5: names from outside are inert ---------------------------------------------------------

EVIL = "evil\x1b]52;c;aGVsbG8=\x07\x1b[2J\x07bell\u202e"


def _inert(result: Any) -> str:
    out = result.stdout_bytes + result.stderr_bytes
    for raw in (b"\x1b", b"\x07", "\u202e".encode()):
        assert raw not in out, out
    return result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["decode", "-f", "{missing}"],
        ["replay", "{missing}"],
        ["handshake", "check", "{missing}"],
        ["replay", "{junk}"],
        ["decode", "-f", "{big}", "--max-input", "1K"],
        ["connect", "ws://127.0.0.1:9/", "--record", "{missing_dir}"],
        ["listen", "--port", "0", "--record", "{missing_dir}"],
    ],
)
def test_file_names_are_inert(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    junk, big = tmp_path / f"{EVIL}.bin", tmp_path / f"{EVIL}.txt"
    junk.write_bytes(b"\x00\x01\x02 not a capture")
    big.write_text("00 " * 1000, encoding="utf-8")
    names = {
        "{missing}": str(tmp_path / EVIL),
        "{junk}": str(junk),
        "{big}": str(big),
        "{missing_dir}": str(tmp_path / EVIL / "rec.jsonl"),
    }
    result = runner.invoke(wsdebug.cli.app, [names.get(a, a) for a in args])
    err = one_line(result, 2)
    _inert(result)
    assert "evil\\x1b]52;c;aGVsbG8=\\x07\\x1b[2J\\x07bell\\u202e" in err, err


def test_argv_values_are_inert(runner: CliRunner) -> None:
    """Option values quoted in errors: escaped once (repr's own escapes are not escaped again)."""
    result = runner.invoke(wsdebug.cli.app, ["decode", "00", "--detail", EVIL])
    err = one_line(result, 2, "--detail")
    _inert(result)
    assert "\\\\x1b" not in err and "\\x1b]52" in err, err
    result = runner.invoke(wsdebug.cli.app, ["replay", str(Path(__file__)), "--direction", EVIL])
    one_line(result, 2, "--direction")
    _inert(result)


def test_subprocess_stderr_is_inert(tmp_path: Path) -> None:
    """The console script itself (not only CliRunner): no raw ESC or BEL on stderr."""
    proc = run(["replay", str(tmp_path / EVIL)])
    one_line(proc, 2, "cannot read")
    assert b"\x1b" not in proc.stderr and b"\x07" not in proc.stderr


def test_usage_errors_are_inert() -> None:
    """click's own usage errors quote argv too."""
    for args in (["replay", "a", EVIL], [EVIL], ["decode", f"--{EVIL}"]):
        proc = run(args)
        assert proc.returncode == 2, proc.stderr
        assert b"\x1b" not in proc.stderr and b"\x07" not in proc.stderr, proc.stderr


def test_error_lines_escape_as_payloads_do() -> None:
    """charsafety.terminal_safe (error lines) and ui.safe.inert (views) give the same text."""
    from wsdebug.capture.charsafety import UNSAFE, terminal_safe
    from wsdebug.ui.safe import inert

    every = "".join(chr(c) for c in range(0x110000) if UNSAFE.match(chr(c)))
    assert terminal_safe(every) == inert(every)
    assert not UNSAFE.search(terminal_safe(every))
    assert terminal_safe(terminal_safe(EVIL)) == terminal_safe(
        EVIL
    )  # idempotent: never escaped twice


@pytest.mark.parametrize("args", [["-d", "summary"], ["--json"], [], ["--plain", "-d", "fields"]])
def test_a_reader_that_goes_away_ends_decode_quietly_with_141(
    tmp_path: Path, args: list[str]
) -> None:
    """``decode ... | head``: exit 128 + SIGPIPE as a shell reports for coreutils, not 1
    ("problems found"), and not a word on stderr."""
    from wsdebug.codec.frames import encode_frame

    big = tmp_path / "many.hex"
    big.write_text(b"".join(encode_frame(0x1, b"frame %d" % i) for i in range(30000)).hex())
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsdebug", "decode", *args, "-f", str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(200)  # what `head -c 200` takes, then it goes away
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert err == b""
