"""One name signs every record this desktop writes: ``models.author`` is the single source.

Each signing path runs for real under the same environment (the command line in-process on an encrypted
replica, the record views and the decision dialog offscreen) and must sign with the same name.
"""

from __future__ import annotations

import ast
import getpass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models.records import actions_due
from models import author
from models.replica.orm import AlertEvent, Contact, DecisionEntry
from scc_desktop import cli
from sync import authoring
from tests.records.conftest import T0, cli_env  # noqa: F401
from tests.ui.records.seed import CONTACTS
from ui.actions_view import ActionsView
from ui.records.contacts_view import ContactsView
from ui import tasks
from ui.records.decision_dialog import DecisionDialog
from ui.records.decisions_view import DecisionsView
from ui.records.transfers_view import TransfersView

ROOT = Path(__file__).resolve().parents[2]


def _no_login():
    raise OSError("No username set in the environment")  # what getpass raises with no passwd entry


@pytest.mark.parametrize("env, expected", [
    ({"SCC_USER": "  Dr Ada Lovelace  ", "LOGNAME": "ada"}, "Dr Ada Lovelace"),
    ({"SCC_USER": "   ", "LOGNAME": "ada"}, "ada"),
    ({"LOGNAME": " ada\t"}, "ada"),
])
def test_the_name_is_scc_user_else_the_login_name_trimmed(monkeypatch, env, expected):
    for var in ("SCC_USER", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert author.current_author() == expected


def test_without_any_login_name_the_fallback_is_never_empty(monkeypatch):
    monkeypatch.delenv("SCC_USER", raising=False)
    monkeypatch.setattr(getpass, "getuser", _no_login)
    assert author.current_author() == author.FALLBACK and author.FALLBACK.strip()
    monkeypatch.setattr(getpass, "getuser", lambda: "  ")
    assert author.current_author() == author.FALLBACK


def _alerts(store, count: int) -> list[str]:
    """Alerts raised the real way: actions left overdue, then the chase."""
    uids = [authoring.add_action(store, description=f"Call site {n}", owner="Room support", author="seed",
                                 due_at=T0 - timedelta(hours=1, minutes=n)) for n in range(count)]
    with store.writing() as s:
        actions_due.chase_overdue(s, T0)
    with store.session() as s:
        by_action = dict(s.execute(select(AlertEvent.action_uuid, AlertEvent.uuid)).all())
    return [by_action[u] for u in uids]


@pytest.mark.parametrize("who", ["SCC_USER", "login", "nobody"])
def test_every_signing_path_signs_with_the_same_name(qtbot, store, store_path, cli_env, tmp_path, monkeypatch,
                                                     who):
    monkeypatch.delenv("SCC_USER", raising=False)
    monkeypatch.setenv("LOGNAME", "room.lead")
    if who == "SCC_USER":
        monkeypatch.setenv("SCC_USER", "Room Lead Desk 3")
    elif who == "nobody":
        monkeypatch.setattr(getpass, "getuser", _no_login)
    name = author.current_author()
    assert name == {"SCC_USER": "Room Lead Desk 3", "login": "room.lead", "nobody": author.FALLBACK}[who]
    by_cli, by_window = _alerts(store, 2)
    assert cli.main(["records", "ack", by_cli, "--path", str(store_path), "--note", "on it"]) == 0
    c = CONTACTS[0]
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(f"name,organisation,role,phone\n{c['name']},{c['organisation']},{c['role']},{c['phone']}\n",
                        encoding="utf-8")
    assert cli.main(["contacts", "import", str(csv_file), "--path", str(store_path)]) == 0

    clock = lambda: T0  # noqa: E731
    views = [cls(store, clock) for cls in (DecisionsView, ContactsView, TransfersView)]
    for view in views:
        qtbot.addWidget(view)
    assert {v.author for v in views} == {name}
    dialog = DecisionDialog(store, clock, views[0].author)
    qtbot.addWidget(dialog)
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Open escalation beds")
    dialog.rationale.setPlainText("Queues rising")
    dialog.save()   # records off the UI thread; the dialog keeps the outcome once it has landed
    assert tasks.manager().wait_idle(30_000)
    entry = dialog.saved
    actions = ActionsView(store, clock)
    qtbot.addWidget(actions)
    assert actions.user_edit.text() == name
    actions.acknowledge(by_window)
    assert tasks.manager().wait_idle(30_000)
    with store.session() as s:
        acks = dict(s.execute(select(AlertEvent.uuid, AlertEvent.acknowledged_by)).all())
        contact_author = s.scalar(select(Contact.updated_by).where(Contact.name == c["name"]))
        recorded = s.get(DecisionEntry, entry.uuid).recorded_by
    assert acks == {by_cli: name, by_window: name}
    assert contact_author == name and recorded == name


def test_only_models_author_asks_the_system_who_is_logged_in():
    """No second way to find the author: getpass.getuser, USERNAME and SCC_USER appear in one module."""
    found = []
    for folder in ("models", "sync", "ui", "scc_desktop"):
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "models/author.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "getuser":
                    found.append(f"{rel}:{node.lineno} getuser")
                if isinstance(node, ast.Constant) and node.value in ("USERNAME", "SCC_USER"):
                    found.append(f"{rel}:{node.lineno} {node.value}")
    assert found == []
