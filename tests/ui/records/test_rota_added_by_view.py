"""The rota's "Added by" column on a desktop that received the slot (H-05): a shift added through the Add
shift dialog on desktop A, synced through a real hub on loopback, shows on desktop B's rota as added by A's
user, after the user of the token that sent it (``models.record_signer``); before, B said "another desktop" for
every slot it received.  A slot kept without an author (as received before migration 0026) still says
"another desktop", with a tooltip saying why.  Real
widgets offscreen: B's main window at 1920x1080 and 1366x768 in the dark theme, rendered to PNG."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import text

from models.replica.orm.types import to_utc_text, utcnow
from sync import authoring, outbox
from sync.protocol import RecordPush
from tests.support.hub import shown_as
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui.records.contacts_view import ContactsView
from ui.records.rota_panel import HEADERS, OTHER_DESKTOP
from ui.widgets import table_text

pytestmark = [pytest.mark.usefixtures("settled"), pytest.mark.timeout(180)]
ADDED_BY = HEADERS.index("Added by")


def _no_author_slot(desk, contact_uuid, starts_at) -> str:
    shift = str(uuid.uuid4())
    with desk.store.writing() as s:
        outbox.enqueue(s, RecordPush(uuid=str(uuid.uuid4()), kind="on_call_shift", device_id=authoring.device_id(s),
                                     authored_at=utcnow(), data={
                                         "op": "create", "shift_uuid": shift, "rota": "SCC room lead",
                                         "contact_uuid": contact_uuid, "starts_at": to_utc_text(starts_at),
                                         "ends_at": to_utc_text(starts_at + timedelta(hours=12))}))
    return shift


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)], ids=["1920x1080", "1366x768"])
def test_a_shift_added_on_one_desktop_says_who_added_it_on_the_others_rota(qtbot, sqlite_hub, make_desktop,
                                                                           tmp_path, size):
    from ui.main_window import MainWindow

    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow().replace(second=0, microsecond=0)
    ada = authoring.upsert_contact(a.store, author="Lead on A", name="Dr Ada Director", organisation="Test ICB",
                                   phone="07700 900111")
    tom = authoring.upsert_contact(a.store, author="Lead on A", name="Tom Okafor", organisation="Test ICB",
                                   phone="07700 900222")
    here = open_view(qtbot, ContactsView, a.store, now=now, author="Jo Rota-Lead")
    dialog = here.rota.add_shift()
    dialog.rota.setCurrentText("Director on-call")
    dialog.person.setCurrentIndex(dialog.person.findData(ada))
    dialog.save()
    settle()
    assert dialog.saved.uuid is not None
    tom_slot = _no_author_slot(a, tom, now + timedelta(hours=1))
    for desk in (a, b):
        assert desk.run_once().error is None
    with b.store.writing() as s:   # as a slot received before migration 0026 holds it: no author kept
        s.execute(text("UPDATE on_call_shift SET added_by = NULL WHERE uuid = :u"), {"u": tom_slot})

    window = MainWindow(b.store, clock=lambda: now)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    window.set_theme("dark")
    window.show_view("contacts")
    view = window.views["contacts"]
    view.refresh()
    settle()
    QApplication.processEvents()
    assert window.grab().save(str(tmp_path / f"rota-added-by-dark-{size[0]}x{size[1]}.png"))
    rows = {r[1]: r for r in table_text(view.rota.table) if r[1] != "NOBODY ON CALL"}
    # Signed on A, sent with the room's token: the token's user first (models.record_signer).
    assert rows["Dr Ada Director"][ADDED_BY] == shown_as("Jo Rota-Lead"), rows   # before 0026: "another desktop"
    assert rows["Tom Okafor"][ADDED_BY] == OTHER_DESKTOP, rows
    tips = {view.rota.table.item(i, 1).text(): view.rota.table.item(i, ADDED_BY).toolTip().replace("\xa0", " ")
            for i in range(view.rota.table.rowCount()) if view.rota.table.item(i, ADDED_BY)}
    assert tips["Dr Ada Director"] == ""
    assert "who added it was not kept" in tips["Tom Okafor"], tips
