"""``wsdebug test`` through the CLI: exit codes, usage errors, the terminal explanation, and the
report formats (JSON, JUnit XML parsed with xml.etree, the HTML opened in headless Chromium)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wsdebug.cli import app

from .servers import NO_CHECKS, Policy, raw_server

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    return CliRunner(
        env={"COLUMNS": "160", "NO_COLOR": "1", "FORCE_COLOR": None, "WSDEBUG_TRACEBACK": None}
    )


def test_usage_errors_exit_2(runner: CliRunner) -> None:
    for args in (
        ["test"],
        ["test", "http://127.0.0.1:1/"],
        ["test", "ws://127.0.0.1:1/", "--client"],
        ["test", "ws://127.0.0.1:1/", "--cases", "nope"],
        ["test", "ws://127.0.0.1:1/", "--cases", "99.*"],
        ["test", "ws://127.0.0.1:1/", "--detail", "all"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) <= 3


def test_unreachable_server_is_one_line_and_exit_1(runner: CliRunner) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    result = runner.invoke(app, ["test", f"ws://127.0.0.1:{port}/", "--cases", "1.1.1", "-q"])
    assert result.exit_code == 1
    assert "cannot connect" in result.output and "Traceback" not in result.output


def test_good_run_exits_0_and_bad_run_explains_the_byte(runner: CliRunner, tmp_path: Path) -> None:
    with raw_server() as url:
        ok = runner.invoke(app, ["test", url, "--cases", "1.1.*,2.1,6.3.1", "-j", "4", "--plain"])
    assert ok.exit_code == 0, ok.output
    assert "10 cases, 0 failed" in ok.output
    with raw_server(Policy(utf8="none")) as url:
        bad = runner.invoke(app, ["test", url, "--cases", "6.3.1", "--plain", "--detail", "fields"])
    assert bad.exit_code == 1
    out = bad.output
    assert "Case 6.3.1 FAILED" in out
    assert "text message is not valid UTF-8" in out  # the peer's echo, annotated by the frame view
    assert "decided by frame #2" in out and "of the peer's stream" in out
    assert "1 cases, 1 failed" in out


def test_untrusted_text_is_escaped_on_the_terminal(runner: CliRunner) -> None:
    # A server that answers a 1002 failure with a close reason full of terminal escapes.
    evil = b"\x1b[31mred\x1b]0;pwned\x07\xe2\x80\xae"
    # 6.4.3 is NON-STRICT for this server (it checks whole frames), so its exchange is shown,
    # ending with the server's close frame and its reason.
    for detail in ("summary", "fields", "bytes"):
        with raw_server(Policy(fail_reason=evil)) as url:
            result = runner.invoke(app, ["test", url, "--cases", "6.4.3", "--detail", detail])
        assert result.exit_code == 0, result.output
        assert "Case 6.4.3 NON-STRICT" in result.output
        assert (
            "\x1b" not in result.output
            and "\u202e" not in result.output
            and "\x07" not in result.output
        )
        assert "\\x1b[31mred" in result.output or detail == "summary"


def _run_reports(tmp_path: Path, url: str, cases: str) -> tuple[Path, Path, Path]:
    j, x, h = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsdebug",
            "test",
            url,
            "--cases",
            cases,
            "-j",
            "8",
            "-q",
            "--json",
            str(j),
            "--junit",
            str(x),
            "--html",
            str(h),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return j, x, h


def test_json_and_junit_reports(tmp_path: Path) -> None:
    with raw_server(NO_CHECKS) as url:
        j, x, _h = _run_reports(tmp_path, url, "1.1.1,3.1,4.1.1,6.3.1,12.1.1")
    doc = json.loads(j.read_text())
    assert doc["schema"] == "wsdebug.conformance/1"
    cases = {c["id"]: c for c in doc["cases"]}
    assert cases["1.1.1"]["grade"] == "OK" and cases["3.1"]["grade"] == "FAILED"
    assert cases["12.1.1"]["grade"] == "UNIMPLEMENTED"
    c = cases["6.3.1"]
    assert c["decided_by"]["frame"] is not None and c["duration"] > 0
    frames = c["frames"]
    assert c["role"] == "client" and {f["direction"] for f in frames} == {"c2s", "s2c"}
    bad = frames[c["decided_by"]["frame"]]
    assert bad["direction"] == "s2c" and bad["problems"][0]["rule"] == "INVALID_UTF8"
    assert (
        bytes.fromhex(bad["hex"])[2:]
        == b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"
    )
    root = ET.parse(x).getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["3 Reserved Bits"].get("failures") == "1"
    testcases = {tc.get("name").split()[0]: tc for tc in root.iter("testcase")}
    assert set(testcases) == {"1.1.1", "3.1", "4.1.1", "6.3.1", "12.1.1"}
    assert testcases["3.1"].find("failure") is not None
    assert testcases["1.1.1"].find("failure") is None
    assert testcases["12.1.1"].find("skipped") is not None
    assert "stream byte" in (testcases["6.3.1"].find("failure").text or "")


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="headless Chromium is not installed")
def test_html_report_opens_in_headless_chromium(tmp_path: Path) -> None:
    with raw_server(NO_CHECKS) as url:
        _j, _x, h = _run_reports(tmp_path, url, "1.1.2,3.1,6.3.1")
    pages = sorted(p.name for p in h.iterdir())
    assert pages == ["case-1.1.2.html", "case-3.1.html", "case-6.3.1.html", "index.html"]

    def dom(page: Path) -> str:
        profile = tmp_path / "profile"
        proc = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
                f"--user-data-dir={profile}",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout

    index = dom(h / "index.html")
    assert '<table id="groups">' in index
    assert 'href="case-6.3.1.html"' in index
    assert 'data-grade="FAILED">1<' in index  # group 3: one FAILED
    page = dom(h / "case-6.3.1.html")
    assert 'id="grade">FAILED<' in page
    assert "text message is not valid UTF-8" in page
    assert '<p id="decided">' in page and "(decided the grade)" in page
    assert "ce ba e1 bd b9" in page  # the annotated exchange carries the wire bytes


def test_progress_and_tables_on_a_terminal(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    with raw_server() as url:
        child = pexpect.spawn(
            sys.executable,
            ["-m", "wsdebug", "test", url, "--cases", "1.*,2.*", "-j", "4"],
            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
            encoding="utf-8",
            timeout=60,
        )
        child.expect("Conformance")
        child.expect("27 cases, 0 failed")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0


def test_timeout_is_a_hard_limit_per_case(runner: CliRunner) -> None:
    with raw_server(Policy(closes=False)) as url:
        result = runner.invoke(
            app, ["test", url, "--cases", "3.1,9.7.6", "--timeout", "0.3", "--plain"]
        )
    assert result.exit_code == 1
    assert result.output.count("did not end within 0.3 s (--timeout)") == 2
