"""The replay's total inflation budget: shared by every message of every conversation."""

from __future__ import annotations

import io

from wsdebug.capture.format import C2S, S2C, CaptureWriter, read_capture
from wsdebug.capture.session import InflateBudget, reconstruct
from wsdebug.codec.connection import Connection
from wsdebug.codec.deflate import DeflateParams
from wsdebug.codec.handshake import build_request, build_response, parse_request
from wsdebug.codec.rules import Rule
from wsdebug.codec.spec import Role

MIB = 1 << 20


def _capture(messages: int, size: int) -> str:
    out = io.StringIO()
    w = CaptureWriter(out, mode="connect", created="2025-12-01T10:00:00Z")
    w.open("c1", role="client", peer="10.0.0.2:80", local="10.0.0.1:5000", t=1.0)
    request, _ = build_request("10.0.0.2:80", "/", extensions="permessage-deflate")
    w.data("c1", C2S, request, t=1.0)
    w.data("c1", S2C, build_response(parse_request(request), extensions="permessage-deflate"))
    client = Connection(Role.CLIENT, deflate=DeflateParams())
    for i in range(messages):
        client.send_binary(bytes([i]) * size)
        w.data("c1", C2S, client.data_to_send(), t=2.0 + i)
    w.end("c1", "done", t=99.0)
    return out.getvalue()


def test_messages_past_the_total_budget_are_not_inflated() -> None:
    infos = read_capture(iter(_capture(6, 3 * MIB).splitlines()), "test")
    conv = reconstruct(infos[0], budget=InflateBudget(8 * MIB))
    inflated = [f.record.inflated for f in conv.frames]
    assert [len(x) if x else 0 for x in inflated] == [3 * MIB, 3 * MIB, 0, 0, 0, 0]
    refused = [p for f in conv.frames[2:] for p in f.record.problems]
    assert all(p.rule is Rule.MESSAGE_TOO_BIG and "budget" in p.detail for p in refused)
    assert len(refused) == 4
    whole = reconstruct(infos[0])  # the default budget (512 MiB) holds these 18 MiB
    assert all(f.record.inflated for f in whole.frames)
