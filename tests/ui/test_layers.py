"""The layers, checked mechanically: widgets reach the replica only through the door (``models.service``)
and ``ui.tasks``; the door knows nothing of Qt.  ``THROUGH_THE_DOOR`` lists the UI modules moved onto
the door so far (issue 15); each one moved joins it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THROUGH_THE_DOOR = ("ui/tasks.py", "ui/actions_view.py", "ui/records/decision_dialog.py", "ui/records/common.py",
                    "ui/records/transfers_view.py", "ui/records/transfer_dialog.py", "ui/records/contacts_view.py",
                    "ui/records/contact_dialog.py", "ui/records/import_report.py", "ui/records/rota_panel.py",
                    "ui/records/rota_dialogs.py", "ui/records/decisions_view.py",
                    "ui/critcon_view.py", "ui/main_window.py", "ui/overview.py", "ui/provider_view.py",
                    "ui/ambulance_view.py", "ui/offload_view.py", "ui/settings_dialog.py", "ui/first_run.py",
                    "ui/alerts_view.py", "ui/alert_banner.py", "ui/alert_tray.py")
# What a widget must not reach for: the ORM and SQL, the authoring functions (they are the door's to
# combine into one transaction), and the store's own sessions and transactions.
FORBIDDEN_IMPORTS = ("sqlalchemy", "models.replica.orm", "sync.authoring", "sync.outbox")
FORBIDDEN_CALLS = ("session", "writing", "reading", "raw")


def _runtime_imports(tree: ast.Module) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []   # annotations only: never imported when the program runs
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return names


@pytest.mark.parametrize("path", THROUGH_THE_DOOR)
def test_a_ui_module_on_the_door_opens_no_session_and_imports_no_sql(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    bad = [n for n in _runtime_imports(tree) if any(n == f or n.startswith(f + ".") for f in FORBIDDEN_IMPORTS)]
    calls = [f"line {node.lineno}: .{node.func.attr}()" for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in FORBIDDEN_CALLS]
    assert bad == [] and calls == [], f"{path} reaches past the door: {bad + calls}"


# What makes a thread (or hands work to one) of its own: only ui/tasks.py may (its daemon threads and
# its long-running loops); everything else in ui/ goes through QueryOp, CollectionOp, LatestRead or Loop.
THREAD_MAKERS = ("Thread", "QThread", "QThreadPool", "ThreadPoolExecutor", "ProcessPoolExecutor", "Timer",
                 "start_new_thread", "moveToThread", "globalInstance")
# Modules imported only to start threads or processes (``threading`` also gives Event and Lock: its
# Thread is caught where it is called).
POOL_MODULES = ("_thread", "concurrent", "multiprocessing", "PySide6.QtConcurrent")


def test_no_ui_module_but_tasks_makes_a_thread_of_its_own():
    found = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "ui/tasks.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                owner = getattr(func.value, "id", None) if isinstance(func, ast.Attribute) else None
                if name in THREAD_MAKERS and not (name == "Timer" and owner not in (None, "threading")) and not (
                        name == "globalInstance" and owner != "QThreadPool"):
                    found.append(f"{rel}:{node.lineno} {name}()")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{rel}:{node.lineno} import {n}" for n in names
                          if any(n == m or n.startswith(m + ".") for m in POOL_MODULES)]
    assert found == [], f"threads made outside ui/tasks.py: {found}"


def test_the_door_knows_nothing_of_qt():
    for path in sorted((ROOT / "models" / "service").glob("*.py")):
        imports = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
        assert not [n for n in imports if n.split(".")[0] in ("PySide6", "shiboken6", "ui")], path
