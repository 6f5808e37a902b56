"""The decision log shows what became of each SPoC message it records: sent (to how many, when), failed (with
the hub's reason, in the warning colour) or pending (queued here, or at the hub), in the entry's row and at the
top of its detail; a delivery synced in from the hub redraws it.  A real replica, messages sent through the
door with the hub away, the hub's word applied as the feed brings it (sync.apply), real widgets offscreen."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from models.service import decision_log
from models.service import messages
from tests.sync.messages_world import BED
from tests.sync.messages_world import seed as seed_room
from tests.ui.feeds import Feed
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme
from ui.records.decisions_view import DecisionsView

pytestmark = pytest.mark.usefixtures("settled")
NOW = datetime(2026, 12, 3, 14, 32, tzinfo=timezone.utc)
REFUSED = "the server answered 554 5.7.1 relay access denied"


def _send(store, headline: str, minutes: int) -> messages.Sent:
    return messages.send_message(store, template="free_text", groups=[BED], sender="Room lead",
                                 values={"headline": headline, "message": "Please call the room."},
                                 now=NOW + timedelta(minutes=minutes))


def _delivered(store, seq: int, sent: messages.Sent, outcome: str, error: str | None = None) -> None:
    Feed(first_seq=seq).add("message_delivery", {
        "message_uuid": sent.message_uuid, "outcome": outcome, "at": (NOW + timedelta(minutes=10)).isoformat(),
        "recipients": 10 if outcome == "sent" else 0, "attempts": 1 if outcome == "sent" else 3,
        "error": error}).apply(store)


@pytest.fixture
def world(store):
    seed_room(store, NOW)
    sent = {name: _send(store, name, n) for n, name in enumerate(("Beds", "Divert", "Stand down"))}
    return store, sent


def _plain(tip: str) -> str:
    return re.sub(r"<[^>]+>", "", tip).replace("\xa0", " ")


def _cells(view) -> dict[str, tuple[str, str]]:
    """decision uuid -> (the Message cell's text, its tooltip)."""
    column = view.table.columnCount() - 1
    return {view.table.item(r, 0).data(0x0100): (view.table.item(r, column).text(),
                                                 _plain(view.table.item(r, column).toolTip()))
            for r in range(view.table.rowCount())}


def test_the_door_gives_each_entry_its_message_and_outcome(world):
    store, sent = world
    _delivered(store, 500, sent["Beds"], "sent")
    _delivered(store, 501, sent["Divert"], "failed", REFUSED)
    page = decision_log.log_page(store)
    got = {uid: m.delivery for uid, m in page.messages.items()}
    assert got == {sent["Beds"].decision_uuid: "sent", sent["Divert"].decision_uuid: "failed",
                   sent["Stand down"].decision_uuid: "pending"}
    assert page.messages[sent["Divert"].decision_uuid].error == REFUSED


def test_each_entry_says_sent_failed_or_pending_with_the_reason_and_redraws_when_the_outcome_syncs_in(
        qtbot, world, tmp_path):
    store, sent = world
    view = open_view(qtbot, DecisionsView, store, now=NOW + timedelta(minutes=20))
    assert view.table.horizontalHeaderItem(view.table.columnCount() - 1).text() == "Message"
    cells = _cells(view)
    assert {text for text, _tip in cells.values()} == {"✉ pending"}
    assert "queued: will be sent when the hub is reachable" in cells[sent["Beds"].decision_uuid][1]

    # The hub's word comes in on the feed; the window redraws a view whose KINDS meet the batch's kinds.
    _delivered(store, 600, sent["Beds"], "sent")
    _delivered(store, 601, sent["Divert"], "failed", REFUSED)
    assert "message_delivery" in DecisionsView.KINDS
    view.refresh()
    settle()
    cells = _cells(view)
    assert cells[sent["Beds"].decision_uuid] == ("✉ sent", "sent to 10 at Thu 3 Dec 2026 14:42 GMT")
    assert cells[sent["Divert"].decision_uuid] == ("✉ FAILED", f"failed: {REFUSED}")
    assert cells[sent["Stand down"].decision_uuid][0] == "✉ pending"
    column = view.table.columnCount() - 1
    row = next(r for r in range(view.table.rowCount())
               if view.table.item(r, 0).data(0x0100) == sent["Divert"].decision_uuid)
    assert view.table.item(row, column).background().color().name() == theme.severity_colours(3)[0]

    view.select_uuid(sent["Divert"].decision_uuid)
    settle()
    text = view.detail.toPlainText()
    assert "SPoC message “[SCC] Divert" in text or "SPoC message “" in text
    assert f"✉ FAILED: {REFUSED}" in text and "phone the groups" in text
    view.select_uuid(sent["Beds"].decision_uuid)
    settle()
    assert "✉ sent — sent to 10 at Thu 3 Dec 2026 14:42 GMT" in view.detail.toPlainText()
    view.resize(1500, 700)
    view.select_uuid(sent["Divert"].decision_uuid)
    qtbot.wait(50)
    view.grab().save(str(tmp_path / "decision-messages.png"))
    if os.environ.get("SCC_SHOTS_DIR"):
        view.grab().save(str(Path(os.environ["SCC_SHOTS_DIR"]) / "decision-messages.png"))
    if os.environ.get("SCC_WRITE_SCREENSHOTS") == "1":
        view.grab().save(str(Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "spoc-decision-log.png"))
