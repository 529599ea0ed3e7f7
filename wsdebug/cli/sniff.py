"""``sniff``: WebSocket traffic on a network interface as it happens (tcpdump underneath)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .app import app
from .common import Detail, Json, Plain, check_detail
from .status import ExitStatus, UserError

if TYPE_CHECKING:
    from ..live.reporter import Reporter


@app.command()
def sniff(
    ports: Annotated[
        list[int] | None,
        typer.Argument(metavar="[PORT]...", help="TCP ports to watch (default: every TCP port)."),
    ] = None,
    interface: Annotated[
        str, typer.Option("--interface", "-i", help="Interface to capture on (tcpdump -i).")
    ] = "any",
    record: Annotated[
        Path | None,
        typer.Option(
            "--record", metavar="FILE", help="Write the connections' bytes to FILE (JSON Lines)."
        ),
    ] = None,
    detail: Annotated[str, Detail] = "summary",
    json_out: Annotated[bool, Json] = False,
    plain: Annotated[bool, Plain] = False,
) -> None:
    """Show WebSocket connections on an interface as they happen, through the live views.

    tcpdump captures (capturing needs root or CAP_NET_RAW); each connection is decoded from
    its HTTP upgrade on, as replay decodes a pcap.  Ctrl-C stops.
    """
    from ..capture.format import CaptureError
    from ..live.sniff import SniffError, run_sniff

    detail = check_detail(detail)
    for port in ports or ():
        if not 1 <= port <= 65535:
            raise UserError(f"port {port} is not a TCP port (1-65535)")
    writer, fh = None, None
    if record is not None:
        from .. import __version__
        from ..capture.format import CaptureWriter

        try:
            fh = open(record, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UserError(f"cannot write --record {record}: {exc.strerror}") from None
        writer = CaptureWriter(fh, mode="sniff", tool=f"wsdebug {__version__}")
    reporter: Reporter
    if json_out:
        from ..live.reporter import JsonReporter

        reporter = JsonReporter(sys.stdout)
    else:
        from ..ui.live_view import RichReporter
        from ..ui.output import stdout_console

        console = stdout_console(plain=plain)
        reporter = RichReporter(console, detail, plain=plain, recording=record is not None)
    try:
        run_sniff(interface, list(ports or ()), reporter, record=writer, draw=not json_out)
    except SniffError as exc:
        raise UserError(str(exc)) from None
    except CaptureError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None
    finally:
        reporter.close()
        if fh is not None:
            fh.close()
    raise typer.Exit(int(ExitStatus.OK))
