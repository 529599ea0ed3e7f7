"""``decode`` of one large frame pasted as text: peak memory stays near 2x the file (issue 10).

The target is 3x the input file; reading the text makes it 2.0x today (the text, then the
bytes and the unmasked payload).  One more copy of the text (a ``strip()`` of a 64 MiB hex
file, say) reaches 3x, so the bound here is 2.5x, measured above the peak of the same
command on a two-byte input (the interpreter and the libraries).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wsdebug.codec.frames import encode_frame

ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20

#: VmHWM, not getrusage's ru_maxrss: that one carries over from the parent across fork and
#: exec (it would report pytest's own size); the high-water mark is the new program's.
_PEAK_AT_EXIT = """\
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("\\nPEAK %s\\n" % line.split()[1])
atexit.register(peak)
sys.argv = ["wsdebug", *sys.argv[1:]]
from wsdebug.cli import main
main()
"""


def _peak(*args: str) -> int:
    """Bytes of peak RSS of ``wsdebug ARGS`` in a fresh interpreter (its output dropped)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-c", _PEAK_AT_EXIT, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return int(run.stderr.rpartition("\nPEAK ")[2].split()[0]) << 10


@pytest.mark.parametrize(
    "name, write",
    [
        ("hex", lambda f: f.hex() + "\n"),
        ("escaped", lambda f: "\\x" + f.hex("|").replace("|", "\\x") + "\n"),
        ("spaced", lambda f: f.hex(" ") + "\n"),
    ],
)
@pytest.mark.parametrize("mode", [["--json"], ["--plain", "-d", "summary"]])
def test_peak_memory_of_a_large_pasted_frame(
    tmp_path: Path, name: str, write: object, mode: list[str]
) -> None:
    frame = encode_frame(2, os.urandom(16 * MiB), mask_key=b"\x01\x02\x03\x04")
    path = tmp_path / f"{name}.txt"
    path.write_text(write(frame))  # type: ignore[operator]
    small = tmp_path / "small.txt"
    small.write_text("8100\n")
    base = _peak("decode", "-f", str(small), *mode)
    peak = _peak("decode", "-f", str(path), "--max-input", "1G", *mode)
    size = path.stat().st_size
    assert peak - base <= 2.5 * size, f"{name}: {(peak - base) / size:.2f}x the file"
