"""``decode`` of many frames through the CLI: summary rows as they are decoded, ``--frame N``.

The streamed summary (records printed and dropped) must read exactly as the whole-buffer
drawing does, and a long ``-d bytes`` output must say how to see one frame in full.
"""

from __future__ import annotations

import io

from capture.test_decode_stream import mixed
from rich.console import Console
from typer.testing import CliRunner

import wsdebug.cli
from wsdebug.capture.offline import decode_bytes
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.ui.output import print_decoded


def _drawn(data: bytes, sender: Role, *, plain: bool) -> str:
    """What the whole-buffer drawing prints (rich's recording console draws every frame)."""
    console = Console(
        file=io.StringIO(),
        width=100,
        record=True,
        color_system=None,
        no_color=plain,
        highlight=False,
        emoji=False,
        markup=False,
        safe_box=True,
        force_terminal=False,
    )
    print_decoded(decode_bytes(data, sender=sender), detail="summary", plain=plain, console=console)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]


def test_streamed_summary_is_the_whole_drawing(runner: CliRunner) -> None:
    data = mixed(1300, masked=True, big=False) + b"\x81\xfe"  # > COLOUR_MAX frames, a cut one
    for plain in (True, False):
        args = ["decode", "-d", "summary", "--from", "client", *(["--plain"] * plain)]
        out = runner.invoke(wsdebug.cli.app, args, input=data.hex(), env={"COLUMNS": "100"})
        assert out.exit_code == 1
        assert out.stdout == _drawn(data, Role.CLIENT, plain=plain)
        rows = [line for line in out.stdout.splitlines() if line.startswith("#")]
        assert len(rows) == 1301 and rows[-1].startswith("#1301 ")


def test_long_bytes_output_says_how_to_see_one_frame(runner: CliRunner) -> None:
    data = b"".join(encode_frame(0x1, f"frame {i}".encode()) for i in range(40))
    out = runner.invoke(
        wsdebug.cli.app, ["decode", "--plain"], input=data.hex(), env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0
    assert out.stdout.count("Frame layout, RFC 6455") == 6
    assert (
        "frames 4-37 drawn as summary lines; -d fields shows the header fields of every frame, --frame N one frame in full"
        in out.stdout
    )
    one = runner.invoke(wsdebug.cli.app, ["decode", "--plain", "--frame", "17"], input=data.hex())
    assert one.exit_code == 0
    assert one.stdout.startswith("#17 ") and one.stdout.count("Frame layout") == 1
    assert '"frame 16"' in one.stdout and "frame 15" not in one.stdout  # (counted from 0)


def test_frame_out_of_range_or_with_json_is_one_line_and_exit_2(runner: CliRunner) -> None:
    data = encode_frame(0x1, b"a") + encode_frame(0x1, b"b")
    for extra, says in (
        (["--frame", "3"], "--frame 3: the input has 2 frames"),
        (["--frame", "1", "--json"], "--frame chooses a frame to draw; --json writes every frame"),
        (["--frame", "0"], "--frame"),
    ):
        out = runner.invoke(wsdebug.cli.app, ["decode", *extra], input=data.hex())
        assert out.exit_code == 2, (extra, out.output)
        assert says in out.output and "Traceback" not in out.output
