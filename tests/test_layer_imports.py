"""The layers' import rules, checked over every module (docs/architecture.md):
``models/`` imports no Qt, network client, sync, ui or composition root; ``sync/`` no Qt, ui or
composition root; ``ui/`` never the composition root (``scc_desktop``), which wires everything.
The one exception: the door (``models/service``) combines the local authoring functions of
``sync`` (record + outbox row in one transaction), never its network side."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = {
    "models": ("PySide6", "shiboken6", "pyqtgraph", "requests", "ui", "sync", "scc_desktop"),
    "sync": ("PySide6", "shiboken6", "pyqtgraph", "ui", "scc_desktop"),
    "ui": ("scc_desktop",),
}
DOOR_MAY_USE = ("sync.authoring", "sync.outbox", "sync.protocol")


def _allowed(path: Path, name: str) -> bool:
    door = path.relative_to(ROOT).parts[:2] == ("models", "service")
    return door and any(name == m or name.startswith(m + ".") for m in DOOR_MAY_USE)


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from sync import authoring" names the module sync.authoring
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_a_layer_imports_nothing_above_it(layer):
    banned = RULES[layer]
    bad = [f"{path.relative_to(ROOT)}:{line} imports {name}"
           for path in sorted((ROOT / layer).rglob("*.py"))
           for line, name in _imports(path) if name.split(".")[0] in banned and not _allowed(path, name)]
    assert bad == []
