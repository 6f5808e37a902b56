"""A transfer past its threshold, end to end (hazard H-16): a desktop opens the case in its real encrypted
replica, the real hub on loopback (its alert clock every 0.2 s, escalation configured) raises the alert,
emails the Director on-call through a real SMTP server (aiosmtpd, STARTTLS, AUTH), the desktop's alert
centre (real widgets offscreen, light and dark) shows the case, acknowledges it like any alert, and the
alert clears on every desktop when the case is cancelled."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.replica.orm import AlertEvent
from models.service import alert_centre, alerts as alert_door, transfers as transfer_door
from models.service.transfers import NewTransfer
from scc_desktop import gui
from sync import authoring
from tests.support.hub import shown_as, start_hub
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.sync.hub.escalation_smtpd import PASSWORD
from tests.sync.hub.test_escalation_process import config_file, smtpd  # noqa: F401
from ui import tasks
from ui.main_window import MainWindow
from ui.widgets import table_text

UTC = timezone.utc
DIRECTOR = "priya.raman@example.nhs.uk"
RULE = "transfer_breached"


def _rows(store) -> list[AlertEvent]:
    with store.session() as s:
        return list(s.scalars(select(AlertEvent).where(AlertEvent.rule_code == RULE).order_by(AlertEvent.raised_at)))


def _until(desk, check, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while True:
        assert desk.run_once().error is None
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_a_breached_transfer_is_raised_emailed_shown_acknowledged_and_cleared(qtbot, tmp_path, smtpd,
                                                                              make_desktop):  # noqa: F811
    env = {"SCC_HUB_ESCALATION": config_file(tmp_path, smtpd), "SCC_HUB_SMTP_PASSWORD": PASSWORD,
           "SCC_HUB_ALERT_TICK_SECONDS": "0.2"}
    hub = start_hub(tmp_path, env=env)
    try:
        desk, other = make_desktop(hub, "lead"), make_desktop(hub, "second")
        store, now = desk.store, datetime.now(UTC)
        priya = authoring.upsert_contact(store, author="room.lead", name="Dr Priya Raman", organisation="Test ICB",
                                         email=DIRECTOR, cover="out_of_hours")
        authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=priya,
                                    starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=12),
                                    author="room.lead")
        rule = next(r for r in alert_door.current_rules(store) if r.id == RULE)
        # The room asks for an email as soon as a breach reaches it (the shipped rule waits 30 minutes).
        alert_door.edit_rule(store, {**rule.as_dict(), "escalate_after_minutes": 0}, "Room lead", now)
        assert desk.run_once().error is None
        # An emergency inter-hospital transfer requested 40 minutes ago: 10 minutes past its 30 to accept.
        case = transfer_door.open_case(store, NewTransfer("TR-0042", "inter_hospital", "RTEST1", "RTEST2",
                                                          priority="emergency"), "Ana",
                                       at=now - timedelta(minutes=40)).uuid
        transfer_door.open_case(store, NewTransfer("TR-0043", "inter_hospital", "RTEST1", "RTEST2",
                                                   priority="emergency"), "Ana", at=now - timedelta(minutes=5))
        raised = _until(desk, lambda: _rows(store))
        assert len(raised) == 1, hub.log()
        alert = raised[0]
        assert alert.org_code == "RTEST1" and alert.cleared_at is None
        assert "transfer TR-0042 (emergency inter-hospital, RTEST1 to RTEST2) waiting to be accepted, past its " \
               "30 min threshold since" in alert.detail
        [mail] = smtpd.wait_for(1)
        assert mail.rcpt_tos == [DIRECTOR] and "TR-0042" in mail.message.get_content()
        time.sleep(1.0)   # five more ticks of the hub's clock: no second alert, no second email
        assert len(_until(desk, lambda: _rows(store), 0)) == 1 and len(smtpd.received) == 1

        window = MainWindow(store, clock=lambda: datetime.now(UTC))
        qtbot.addWidget(window)
        try:
            for theme in ("light", "dark"):
                path = gui.render(window, tmp_path / f"alert-centre-transfer-{theme}.png", "alerts", theme=theme)
                assert path.stat().st_size > 10_000
            centre = window.views["alerts"]
            row = table_text(centre.table)[centre.row_uuids.index(alert.uuid)]
            assert "TR-0042" in row[1] and row[2].endswith("(RTEST1)")
            assert row[3] in ("30 min threshold\n10 min over", "30 min threshold\n11 min over")
            assert "Emailed Dr Priya Raman" in row[6]
            assert "A transfer is waiting past its threshold" in window.alert_banner.text()
            centre.select_alert(alert.uuid)
            centre.user_edit.setText("Sam Lead")
            centre.note_edit.setText("Phoned RTEST2's bed bureau")
            centre.ack_button.click()
            tasks.manager().wait_idle()
            assert alert.uuid not in centre.row_uuids
        finally:
            window.close()
        assert desk.run_once().error is None   # the acknowledgement reaches the hub and the other desktop
        acked = _until(other, lambda: [a for a in _rows(other.store) if a.acknowledged_at is not None])
        assert [(a.uuid, a.acknowledged_by) for a in acked] == [(alert.uuid, shown_as("Sam Lead"))]

        transfer_door.step(store, case, "cancelled", "Ana", datetime.now(UTC))
        assert desk.run_once().error is None
        cleared = _until(other, lambda: [a for a in _rows(other.store) if a.cleared_at is not None])
        assert [a.uuid for a in cleared] == [alert.uuid]
        page = alert_centre.banner(store, datetime.now(UTC))
        assert page.open_count == 0 and not page.open_alerts
    finally:
        hub.stop()
