"""What the fuzz runs found, each pinned through the entry point a user meets it by.

The inputs that broke an invariant (an exception, a hang) are in the corpus and replayed by
test_fuzz.py; this file holds the findings where a valid input was refused, which a fuzz
target that accepts the documented refusal cannot see.
"""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.make_corpus import RFC_REQUEST, RFC_RESPONSE
from tests.pcapwrite import write_pcap
from wsdebug.capture.format import C2S, S2C, Chunk, ConnectionInfo
from wsdebug.capture.replay import open_capture
from wsdebug.codec.frames import encode_frame
from wsdebug.codec.spec import Opcode

MESSAGE = encode_frame(Opcode.TEXT, b"Hello", mask=True, mask_key=b"\x37\xfa\x21\x3d")


def _pcap(tmp_path: Path, mss: int) -> Path:
    info = ConnectionInfo(
        "c1",
        role="client",
        peer="127.0.0.1:9000",
        local="127.0.0.1:5000",
        chunks=[
            Chunk(0.0, "c1", C2S, RFC_REQUEST),
            Chunk(0.1, "c1", S2C, RFC_RESPONSE),
            Chunk(0.2, "c1", C2S, MESSAGE),
        ],
    )
    out = io.BytesIO()
    write_pcap(out, [info], mss=mss)
    path = tmp_path / f"mss{mss}.pcap"
    path.write_bytes(out.getvalue())
    return path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mss=st.integers(1, 300))
def test_a_handshake_in_many_small_segments_is_still_found(tmp_path: Path, mss: int) -> None:
    # the reader looked for the upgrade in the first 8 segments only: a request of 280 bytes
    # sent in segments under 36 bytes made the whole pcap "no WebSocket upgrade"
    capture, convs = open_capture(str(_pcap(tmp_path, mss)))
    assert capture.kind == "pcap" and len(convs) == 1
    chunks = capture.connections[0].chunks
    c2s = b"".join(c.data for c in chunks if c.dir == C2S)
    assert c2s == RFC_REQUEST + MESSAGE
