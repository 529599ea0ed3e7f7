"""The fuzz targets inside the test suite: the seed corpus replayed, and a short generated run.

Every corpus file goes through every target (a parser must take any bytes, not only its own
format's), and each target gets a bounded hypothesis run of structured inputs, mutated.  Each
input runs under a 5-second SIGALRM watchdog: a hang guard that turns an endless loop into a
failure naming the input, not a timing assertion.  The coverage-guided runs are
``python -m tests.fuzz TARGET`` (see README.md, "Development").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzz.make_corpus import HANG_142
from tests.fuzz.strategies import LONG_RUNS, STRATEGIES
from tests.fuzz.targets import TARGETS, Hang, Target, watchdog

CORPUS = Path(__file__).parent / "corpus"
GUARD = 5.0  #: seconds before an input counts as hung (generous: the invariant is 1 s)


def _corpus() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*") if p.is_file())


def _run(target: Target, data: bytes) -> None:
    with watchdog(GUARD):
        target.run(data)


def test_every_target_has_a_seed_corpus_and_a_generator() -> None:
    for name in TARGETS:
        assert any((CORPUS / name).iterdir()), name
    assert set(STRATEGIES) == set(TARGETS)
    assert (CORPUS / "stream_deflate" / "hang-142").read_bytes() == HANG_142


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_corpus_replays_clean(name: str) -> None:
    target = TARGETS[name]
    failures = []
    for path in _corpus():
        try:
            _run(target, path.read_bytes())
        except Exception as exc:
            failures.append(f"{path.relative_to(CORPUS)}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


def test_the_hang_guard_fires() -> None:
    with pytest.raises(Hang), watchdog(0.2):
        while True:
            pass


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_generated_inputs(name: str) -> None:
    target = TARGETS[name]

    @settings(
        max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(STRATEGIES[name])
    def check(data: bytes) -> None:
        _run(target, data)

    check()


TEXT_TARGETS = (
    "text_input",
    "capture_textdump",
    "capture_har",
    "capture_jsonl",
    "extensions",
    "handshake_request",
    "handshake_response",
)


@pytest.mark.parametrize("name", TEXT_TARGETS)
def test_long_runs_take_linear_time(name: str) -> None:
    """~48 KB of one short pattern repeated, through the parsers of text (where regexes are):
    the hang guard fails one whose work grows with the square of such a run (four regexes in
    inputs.py did, for '(', '=' and '{')."""
    target = TARGETS[name]
    for data in LONG_RUNS:
        try:
            _run(target, data)
        except Hang as exc:
            raise AssertionError(f"{data[:12]!r}... ({len(data)} bytes): {exc}") from None
