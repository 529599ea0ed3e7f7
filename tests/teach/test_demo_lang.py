"""``wsdebug demo --lang zh --export-dir DIR``: the tour in Chinese, one SVG slide per step."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.teach.test_explain import _luminance
from wsdebug.cli import app
from wsdebug.live.demo import STEPS


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("slides") / "out"
    r = CliRunner().invoke(
        app,
        ["demo", "--no-pause", "--lang", "zh", "--export-dir", str(folder)],
        env={"COLUMNS": "100", "NO_COLOR": None, "FORCE_COLOR": "1", "LANG": "C.UTF-8"},
    )
    assert r.exit_code == 0, r.output
    return r.output, folder


def test_tour_speaks_chinese(tour: tuple[str, Path]) -> None:
    output, _ = tour
    flat = re.sub(r"\x1b\[[0-9;]*m", "", output)
    total = len(STEPS) + 1
    assert f"第 1/{total} 步:建立连接的握手" in flat
    for n, step in enumerate(STEPS, 2):
        assert step.title_zh and step.look_zh
        assert f"第 {n}/{total} 步:{step.title_zh}" in flat
    assert "请看:" in flat and "导览结束" in flat
    assert "计算 Sec-WebSocket-Accept" in flat  # the Accept steps, in Chinese


def test_one_slide_per_step(tour: tuple[str, Path]) -> None:
    _, folder = tour
    slides = sorted(folder.glob("*.svg"))
    total = len(STEPS) + 1
    assert [p.name for p in slides] == [f"step-{n:02d}.svg" for n in range(1, total + 1)]
    for n, path in enumerate(slides, 1):
        root = ET.parse(path).getroot()
        text = "".join(root.itertext()).replace("\xa0", " ")
        assert f"第 {n}/{total} 步" in text, path
        assert f"第 {n + 1}/{total} 步" not in text  # each slide holds its own step only
        style = "".join(e.text or "" for e in root.iter() if e.tag.endswith("style"))
        fills = set(re.findall(r"fill:\s*#([0-9a-fA-F]{6})", style))
        for fill in fills:
            assert 1.05 / (_luminance(fill) + 0.05) >= 3.0, (path.name, fill)


def test_export_dir_usage(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        ["demo", "--export-dir", str(tmp_path), "--export-svg", str(tmp_path / "x.svg")],
    )
    assert r.exit_code == 2 and "--export-dir" in r.output
    r = CliRunner().invoke(app, ["demo", "--lang", "klingon"])
    assert r.exit_code == 2 and "--lang must be en or zh" in r.output
