"""Start-up imports only what a command uses (issue 10: cold start of ``decode HEX``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import wsdebug.codec
from wsdebug.cli.common import DETAILS
from wsdebug.ui.views import DETAILS as VIEW_DETAILS

ROOT = Path(__file__).resolve().parents[2]
FRAME = "818537fa213d7f9f4d5158"  # RFC 6455 §5.7, a masked TEXT "Hello"


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python [args]`` with the checkout on the path and ``env`` added; it must succeed."""
    run = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def _imported(*args: str) -> set[str]:
    run = _run("-X", "importtime", "-m", "wsdebug", *args)
    return {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line}


def test_decode_json_loads_no_rendering_and_no_asyncio() -> None:
    names = _imported("decode", "--json", FRAME)
    for heavy in ("rich", "prompt_toolkit", "asyncio", "ssl", "dpkt", "cryptography"):
        assert heavy not in names, f"decode --json imported {heavy}"
    assert "wsdebug.codec.connection" not in names  # the codec loads only the modules used


def test_decode_view_loads_no_asyncio() -> None:
    names = _imported("decode", FRAME)
    assert "asyncio" not in names and "prompt_toolkit" not in names


def test_decode_into_a_pipe_draws_without_rich() -> None:
    """Not a terminal, or --plain: rich would draw no colour, so the lines go out without it."""
    for args in ([], ["--plain"], ["-d", "fields"], ["-d", "summary"]):
        names = _imported("decode", *args, FRAME)
        assert "rich" not in names, f"decode {' '.join(args)} imported rich"
        assert "wsdebug.ui.bytesview" in names or args[:1] == ["-d"]


def test_forced_colour_draws_with_rich() -> None:
    run = _run("-m", "wsdebug", "decode", FRAME, FORCE_COLOR="1", COLUMNS="100")
    assert "\x1b[" in run.stdout and "Frame layout, RFC 6455" in run.stdout
    # FORCE_COLOR empty: rich's "not a terminal"
    plain = _run("-m", "wsdebug", "decode", FRAME, FORCE_COLOR="", COLUMNS="100")
    assert "\x1b[" not in plain.stdout
    coloured = re.sub("\x1b\\[[0-9;]*m", "", run.stdout).split("\n")
    # the same characters, and a colour legend above the hex dump
    assert [x for x in coloured if not x.startswith("colours: ")] == plain.stdout.split("\n")


def test_detail_levels_match_the_views() -> None:
    assert DETAILS == VIEW_DETAILS


def test_codec_public_api_resolves_lazily() -> None:
    annotate_module = sys.modules["wsdebug.codec.annotate"]
    for name in wsdebug.codec.__all__:
        assert getattr(wsdebug.codec, name) is not None
    from wsdebug.codec import annotate

    assert callable(annotate) and annotate is not annotate_module  # the function, not the module
    assert wsdebug.codec.StreamDecoder.__module__ == "wsdebug.codec.stream"
    assert "Connection" in dir(wsdebug.codec)
