"""The "Send a SPoC message…" dialog: a real replica with a room's directory (240 contacts, 40
organisations, the system's OPEL history), real widgets offscreen, the send a write through the door off
the UI thread.  Screenshots go to docs/screenshots/spoc-*.png (light and dark)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from models.service import messages as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.messages_world import BED, COMMS
from tests.sync.messages_world import seed as seed_room
from ui import tasks, theme
from ui.message_dialog import MessageDialog

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOTS = DOCS if os.environ.get("SCC_WRITE_SCREENSHOTS") == "1" else None
NOW = datetime(2026, 12, 3, 14, 32, tzinfo=timezone.utc)


@pytest.fixture
def shots(tmp_path) -> Path:
    return SHOTS or tmp_path


def _dialog(qtbot, store) -> MessageDialog:
    seed_room(store, NOW)
    dialog = MessageDialog(store, lambda: NOW)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    return dialog


def _shoot(dialog, path: Path, key: str) -> None:
    t = theme.set_current(key)
    dialog.setPalette(theme.palette(t))
    dialog.setStyleSheet(theme.stylesheet(t))
    QApplication.processEvents()   # widgets a layout gained are shown by the event loop, as on screen
    dialog.grab().save(str(path))
    theme.set_current("light")


def test_the_dialog_shows_the_message_as_it_will_go_who_gets_it_and_who_has_no_address(qtbot, store, shots):
    dialog = _dialog(qtbot, store)
    assert [dialog.template.itemData(n) for n in range(dialog.template.count())] == [
        "system_level_change", "mutual_aid_request", "free_text"]
    assert not dialog.send_button.isEnabled() and "tick one or more contact groups" in dialog.to.text()
    dialog.check(BED)
    assert not dialog.send_button.isEnabled() and dialog.missing.text() == "Before it can go: fill in actions"
    dialog.fields["actions"].setPlainText("Open escalation beds; stand up discharge huddles at 15:00.")
    assert dialog.subject.text() == "Subject: [SCC] System now at OPEL 3 (was OPEL 2)"
    assert "from Thu 3 Dec 2026 12:32 GMT" in dialog.body.toPlainText()
    assert dialog.to.text().startswith("To (10): Person 000 <person0@rtest1.nhs.uk>")
    assert dialog.no_email.isVisible() and "(2): Person 040 (Test Acute Trust One)" in dialog.no_email.text()
    assert dialog.send_button.isEnabled()
    _shoot(dialog, shots / "spoc-dialog.png", "light")
    _shoot(dialog, shots / "spoc-dialog-dark.png", "dark")

    dialog.check(BED, False)
    dialog.check(COMMS)
    assert not dialog.send_button.isEnabled()
    assert "nobody to email in service:Communications; none of its 5 contact(s) has an email address" in \
        dialog.to.text()


def test_sending_records_it_and_says_it_waits_for_the_hub(qtbot, store, shots):
    dialog = _dialog(qtbot, store)
    dialog.template.setCurrentIndex(dialog.template.findData("mutual_aid_request"))
    dialog.check(BED)
    assert not dialog.send_button.isEnabled()
    assert "provider: choose the provider the message is about" in dialog.missing.text()
    dialog.provider.setCurrentIndex(dialog.provider.findData("RTEST1"))
    assert dialog.missing.text() == "Before it can go: fill in request, needed by, call back"
    for name, text in (("request", "Two G&A beds"), ("needed_by", "16:00 today"), ("call_back", "0113 496 0000")):
        widget = dialog.fields[name]
        (widget.setPlainText if hasattr(widget, "setPlainText") else widget.setText)(text)
    assert "RTEST1 Test Acute Trust One (now at OPEL 4; the system at OPEL 3)" in dialog.body.toPlainText()
    assert dialog.missing.isHidden() and dialog.send_button.isEnabled()
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=10_000)
    tasks.manager().wait_idle()
    qtbot.waitUntil(lambda: "waiting in the outbox" in dialog.waiting.text(), timeout=5000)
    assert "Recorded in the decision log" in dialog.outcome.text()
    assert "queued: will be sent when the hub is reachable" in dialog.outcome.text()
    assert "Mutual aid requested for RTEST1" in dialog.recent.text()
    _shoot(dialog, shots / "spoc-dialog-sent.png", "light")
    [sent] = door.sent_messages(store)
    assert (sent.state, len(sent.recipients), sent.in_outbox) == ("queued", 10, True)
