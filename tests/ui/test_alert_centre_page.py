"""The alert centre shows the hub's page through its paging gateway (the second escalation channel,
session 27) where it shows the e-mail's outcome: in the table's follow-up cell, short, red while either
failed, and in full in the detail below; rendered dark at 1366x768 and 1920x1080 (PNGs looked at)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from models.replica.orm import AlertEvent
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.alert_seed import seed_room
from tests.ui.feeds import NOW
from tests.ui.test_alert_centre import _centre, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme

pytestmark = pytest.mark.usefixtures("settled")
REFUSED = "554 5.7.1 Message rejected as spam"
GATEWAY_DOWN = ("the paging gateway pager.example.nhs.uk:443 could not be reached (ConnectionRefusedError: "
                "[Errno 111] Connection refused); the hub is trying again while the alert is open: phone the on-call")


@pytest.mark.parametrize("size", [(1366, 700), (1920, 1000)], ids=["1366x768", "1920x1080"])
def test_the_page_is_shown_beside_the_email_red_while_either_failed(qtbot, store, size, tmp_path):
    seed_room(store)
    with store.session() as s, s.begin():
        rows = s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None),
                                                  AlertEvent.acknowledged_at.is_(None))).all()
        for row in rows[:2]:
            row.escalation_outcome, row.escalation_error = "failed", REFUSED
            row.escalated_to, row.escalated_at = "Dr Priya Raman", NOW - timedelta(minutes=12)
        rows[0].page_outcome, rows[0].paged_at = "sent", NOW - timedelta(minutes=11)
        rows[1].page_outcome, rows[1].paged_at, rows[1].page_error = "failed", NOW - timedelta(minutes=11), GATEWAY_DOWN
        paged, unpaged = rows[0].uuid, rows[1].uuid
    theme.set_current("dark")
    try:
        view = _centre(qtbot, store)
        view.setStyleSheet(theme.stylesheet(theme.current()))
        view.resize(*size)
        view.refresh()
        settle()
        table = view.table
        cells = {uid: table.item(view.row_uuids.index(uid), 6) for uid in (paged, unpaged)}
        assert cells[paged].text() == ("Email to Dr Priya Raman failed at 09:48 — phone the on-call\n"
                                       "Paged through the gateway at 09:49")
        assert cells[unpaged].text() == ("Email to Dr Priya Raman failed at 09:48 — phone the on-call\n"
                                         "Page failed at 09:49 — phone the on-call")
        assert all(c.background().color().name() == "#c62828" for c in cells.values())
        assert "Connection refused" in cells[unpaged].toolTip().replace("\xa0", " ")
        view.select_alert(unpaged)
        settle()
        detail = view.detail.text()
        assert f"Email to Dr Priya Raman failed at 09:48: {REFUSED} — phone the on-call" in detail
        assert f"Page through the gateway failed at 09:49: {GATEWAY_DOWN}" in detail
        # The whole detail is in sight once the layout has run, as the window's event loop runs it (grabbed
        # before, it looked cut at 3 1/2 of its 6 lines, the page's line hidden: the grab, not the view).
        QApplication.processEvents()   # the layout's request, as the window's event loop runs it
        label = view.detail
        assert label.visibleRegion().boundingRect().height() >= label.heightForWidth(label.width()) > 0
        out = Path(os.environ.get("SCC_SHOTS", tmp_path))
        view.grab().save(str(out / f"alert-centre-page-dark-{size[0]}.png"))
    finally:
        theme.set_current("light")
