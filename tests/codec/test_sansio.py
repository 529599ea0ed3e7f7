"""The codec is sans-I/O: no module in wsdebug/codec imports I/O or UI libraries, or prints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wsdebug.codec

CODEC_DIR = Path(wsdebug.codec.__file__).parent
MODULES = sorted(CODEC_DIR.glob("*.py"))
FORBIDDEN = {"socket", "asyncio", "ssl", "rich", "prompt_toolkit", "typer", "click"}


def offences(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"print", "__import__"}:
                found.append(f"line {node.lineno}: {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr == "import_module":
                found.append(f"line {node.lineno}: import_module()")
            continue
        else:
            continue
        found.extend(
            f"line {node.lineno}: import {n}" for n in names if n.split(".")[0] in FORBIDDEN
        )
    return found


def test_modules_found() -> None:
    names = {m.name for m in MODULES}
    assert {"frames.py", "stream.py", "connection.py", "mask.py", "annotate.py"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_no_io_imports_or_print(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    assert offences(tree) == []


def test_checker_catches_offences() -> None:
    source = (
        "import socket\nimport os, asyncio.events\nfrom ssl import SSLContext\n"
        "from rich.console import Console\n"
        "from . import frames\nimport prompt_toolkit\nimport typer\nfrom click import echo\n"
        "def f():\n    print('x')\n    __import__('socket')\n"
    )
    assert len(offences(ast.parse(source))) == 9
    assert offences(ast.parse("import os\nfrom .frames import x\nlogger.print('ok')\n")) == []
