"""``replay FILE`` printed or as JSON: the capture streamed (one pass, memory independent of
its size; see :mod:`wsdebug.capture.streaming`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .app import error_line
from .status import UserError

if TYPE_CHECKING:
    from ..capture.replay import Visible
    from ..capture.session import Conversation
    from ..capture.streaming import Pair, Streamed
    from ..capture.tls import KeyLog
    from ..codec.deflate import DeflateParams
    from ..codec.events import Event


def _selected(
    streamed: Streamed, conn: str | None, name: str, seen: list[Conversation]
) -> Iterator[Pair]:
    """The conversations ``--conn`` asks for (its id, or its number from 1); the others are
    decoded unseen (their records must be read to reach the next)."""
    matched = False
    for number, (conv, events) in enumerate(streamed.conversations, 1):
        seen.append(conv)
        if conn is None or conv.id == conn or (conn.isdigit() and int(conn) == number):
            if conn is not None and matched:
                _drain(events)
                continue
            matched = True
            yield conv, events
        else:
            _drain(events)
    if conn is not None and not matched:
        ids = ", ".join(c.id for c in seen)
        raise UserError(
            f"{name}: no conversation {conn!r} (there {'is' if len(seen) == 1 else 'are'}: {ids})"
        )


def _drain(events: Iterator[Event]) -> None:
    for _ in events:
        pass


def streamed_replay(
    file: str,
    *,
    json_out: bool,
    detail: str,
    plain: bool,
    conn: str | None,
    visible: Visible | None,
    deflate: bool | DeflateParams | None,
    max_input: int,
    server_port: int | None,
    keylog: KeyLog | None,
    svg: Path | None,
    html: Path | None,
) -> int:
    """Print (or write as JSON) every conversation of ``file`` as it is decoded; the exit
    status: 1 when a shown conversation has a problem or the capture is cut short."""

    from ..capture.offline import no_gc

    with no_gc():  # events and records hold no cycles; collections would only walk them
        return _replay(
            file,
            json_out,
            detail,
            plain,
            conn,
            visible,
            svg,
            html,
            deflate,
            max_input,
            server_port,
            keylog,
        )


def _replay(
    file: str,
    json_out: bool,
    detail: str,
    plain: bool,
    conn: str | None,
    visible: Visible | None,
    svg: Path | None,
    html: Path | None,
    deflate: bool | DeflateParams | None,
    max_input: int,
    server_port: int | None,
    keylog: KeyLog | None,
) -> int:
    from ..capture.format import CaptureError
    from ..capture.streaming import stream_capture

    name = "standard input" if file == "-" else file
    try:
        streamed = stream_capture(
            file, deflate=deflate, max_input=max_input, server_port=server_port, keylog=keylog
        )
    except CaptureError as exc:
        raise UserError(str(exc)) from None
    seen: list[Conversation] = []
    shown: list[Conversation] = []

    def chosen() -> Iterator[Pair]:
        for conv, events in _selected(streamed, conn, name, seen):
            shown.append(conv)
            yield conv, events

    try:
        if json_out:
            from ..capture.replay import emit_json

            emit_json(chosen(), sys.stdout, visible=visible, kind=streamed.kind)
        else:
            _print(streamed, chosen(), detail, plain, visible, svg, html)
    except CaptureError as exc:
        sys.stdout.flush()
        raise UserError(str(exc)) from None
    finally:
        streamed.close()
    if not seen:
        raise UserError(f"{name}: the capture holds no connection")
    code = 1 if any(c.problem_count for c in shown) else 0
    if streamed.cut is not None:
        sys.stdout.flush()
        error_line(f"warning: {streamed.cut.describe(name)}")
        code = max(code, 1)
    return code


def _print(
    streamed: Streamed,
    convs: Iterator[Pair],
    detail: str,
    plain: bool,
    visible: Visible | None,
    svg: Path | None,
    html: Path | None,
) -> None:
    from ..ui.output import export, stdout_console
    from ..ui.replay_print import print_stream

    console = stdout_console(plain=plain, record=bool(svg or html))
    print_stream(
        console,
        convs,
        streamed.kind,
        detail=detail,
        plain=plain,
        file_notes=streamed.file_notes,
        visible=visible,
        end_notes=streamed.end_notes,
    )
    export(console, svg, html)
