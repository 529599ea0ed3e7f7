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
from wsdebug.cli.offline import FRAME_HINT
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Role
from wsdebug.ui.output import print_decoded


def _drawn(data: bytes, sender: Role, *, plain: bool, detail: str = "summary") -> str:
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
    result = decode_bytes(data, sender=sender)
    print_decoded(result, detail=detail, plain=plain, console=console, hint=FRAME_HINT)
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


def test_streamed_bytes_view_of_many_frames_is_the_whole_drawing(runner: CliRunner) -> None:
    """-d bytes of 1,300 frames: the first and last three in full, rows between (kept as
    strings, not records, until the note before them can be written)."""
    data = mixed(1300, masked=True, big=False)
    for plain in (True, False):
        args = ["decode", "--from", "client", *(["--plain"] * plain)]
        out = runner.invoke(wsdebug.cli.app, args, input=data.hex(), env={"COLUMNS": "100"})
        assert out.exit_code == 1
        assert out.stdout == _drawn(data, Role.CLIENT, plain=plain, detail="bytes")
        assert out.stdout.count("Frame layout, RFC 6455") == 6
        assert "frames 4-1,298 drawn as summary lines" in out.stdout.replace("–", "-")


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


def test_bytes_view_keeps_rows_not_records() -> None:
    """While the rows and the last frames of a long -d bytes output are written, only a few
    records are alive (the whole-buffer drawing held all 20,000)."""
    import gc

    from wsdebug.capture.offline import DecodeStream
    from wsdebug.codec.stream import FrameRecord
    from wsdebug.ui.bulk import print_stream

    data = b"".join(encode_frame(0x1, f"message {i % 100}".encode()) for i in range(20_000))

    class Counting(io.StringIO):
        alive: list[int]

        def write(self, s: str) -> int:
            if len(s) > 100_000 or self.alive:  # from the rows on (one block of 19,994 rows)
                self.alive.append(sum(1 for o in gc.get_objects() if isinstance(o, FrameRecord)))
            return super().write(s)

    gc.collect()
    before = sum(1 for o in gc.get_objects() if isinstance(o, FrameRecord))
    out = Counting()
    out.alive = []
    console = Console(file=out, width=100, color_system=None, no_color=True, force_terminal=False)
    print_stream(DecodeStream([(None, data)]), detail="bytes", plain=True, console=console)
    text = out.getvalue()
    assert text.count("Frame layout") == 6 and "frames 4-19,997 drawn as summary" in text
    assert out.alive and max(out.alive) - before <= 10, out.alive
