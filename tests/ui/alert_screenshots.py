"""Render the alert banner, the alert centre and the tray notification's content for the
documentation, light and dark, at 1366×768:

    QT_QPA_PLATFORM=offscreen python -m tests.ui.alert_screenshots docs/screenshots

Forty providers and the morning's alerts of ``tests.ui.alert_seed`` in a throwaway replica.  An
offscreen session has no tray, so the notification's title and text (what ``ui.alert_tray``
hands the system tray) are drawn on a card the size of a desktop notification."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from models.replica.store import Store
from models.rules.alert_engine import Signal
from models.service import alert_centre
from scc_desktop import gui
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.ui.alert_seed import apply_alerts, seed_room, signals_to_alerts, wait
from tests.ui.feeds import NOW

# (view, tab of the centre, theme, alert to select (rule, org), file)
SHOTS = (("overview", None, "light", None, "alert-banner.png"),
         ("overview", None, "dark", None, "themes/alert-banner-dark.png"),
         ("alerts", "open", "light", ("handover_release_45", "R07"), "alert-centre.png"),
         ("alerts", "open", "dark", ("handover_release_45", "R07"), "themes/alert-centre-dark.png"),
         ("alerts", "acknowledged", "light", ("critcon_3", "R22"), "alert-centre-acknowledged.png"),
         ("alerts", "acknowledged", "dark", ("critcon_3", "R22"), "themes/alert-centre-acknowledged-dark.png"),
         ("alerts", "cleared", "high_contrast", None, "themes/alert-centre-cleared-high_contrast.png"))


def _shoot(store, out: Path, view: str, tab: str | None, theme: str, pick, name: str) -> None:
    from ui import tasks
    from ui.main_window import MainWindow

    window = MainWindow(store, clock=lambda: NOW)
    try:
        if tab is not None:
            window.views["alerts"].state = tab
            window.views["alerts"].state_buttons[tab].setChecked(True)
        path = gui.render(window, out / name, view, theme=theme)
        if pick is not None:
            centre = window.views["alerts"]
            page = alert_centre.centre(store, NOW, tab)
            centre.select_alert(next(a.uuid for a in page.alerts if (a.rule, a.org_code) == pick))
            centre.note_edit.setText("Calling R07's site lead" if tab == "open" else "")
            tasks.manager().wait_idle()
            gui.application().processEvents()
            window.grab().save(str(path))
        print("wrote", path)
    finally:
        window.close()
        window.deleteLater()


def _escalations(store) -> tuple[str, str]:
    """The hub's escalation notices on two open alerts, as a desktop keeps them: an email that failed and is
    being tried again (R01's 60-minute wait), and one that went (REAP 4 at R30). Returns the failed one's rule
    and provider, to select it."""
    from sqlalchemy import select

    from models.replica.orm import AlertEvent

    with store.session() as s, s.begin():
        rows = {(r.rule_code, r.org_code): r for r in s.scalars(select(AlertEvent).where(AlertEvent.cleared_at.is_(None)))}
        failed, sent = rows[("handover_wait_60", "R01")], rows[("reap_4", "R30")]
        failed.escalation_outcome, failed.escalated_to = "failed", "Dr Priya Raman"
        failed.escalated_at = NOW - timedelta(minutes=20)
        failed.escalation_error = ("451 4.3.0 Mail server temporarily rejected message; the hub is trying again "
                                   "while the alert is open")
        sent.escalation_outcome, sent.escalated_to = "sent", "Dr Priya Raman"
        sent.escalated_at = NOW - timedelta(minutes=8)
    return ("handover_wait_60", "R01")


def _notification_cards(store, out: Path) -> None:
    """One new alert, and a backlog after the hub was away, as the tray would be handed them."""
    from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

    from ui import theme as themes
    from ui.alert_tray import AlertTray

    later = NOW + timedelta(minutes=20)
    tray = AlertTray(hold_seconds=0)   # the two cards at once: no five-minute hold between them
    tray.seen(alert_centre.banner(store, later))
    no_bed = Signal("cc_available_beds", "provider", "R33", later - timedelta(minutes=1), 0.0, "R33")
    apply_alerts(store, signals_to_alerts([no_bed]), first_seq=30_000)
    one = tray.seen(alert_centre.banner(store, later))
    backlog = [wait(f"R{n:02d}", 240 - 7 * n, 48.0 + n, later) for n in range(2, 32)]
    apply_alerts(store, signals_to_alerts(backlog), first_seq=40_000)
    many = tray.seen(alert_centre.banner(store, later))
    t = themes.set_current("dark")
    for notice, name in ((one, "alert-notification.png"), (many, "alert-notification-backlog.png")):
        card = QFrame()
        card.setFixedWidth(420)
        card.setStyleSheet(f"QFrame {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 6px; }}"
                           f"QLabel {{ color: {t.text}; border: none; font-size: 10pt; }}")
        layout = QVBoxLayout(card)
        for text, bold in (("SCC Desktop", False), (notice.title, True), (notice.text, False)):
            label = QLabel(text)
            label.setWordWrap(True)
            label.setStyleSheet("font-weight: bold;" if bold else "")
            layout.addWidget(label)
        card.resize(420, layout.heightForWidth(420))   # adjustSize cut a longer text's last lines off
        card.grab().save(str(out / name))
        print("wrote", out / name, "|", notice.title, "|", notice.text.replace("\n", " / "))
    themes.set_current("light")


def main(out: Path) -> None:
    gui.application()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.create(Path(folder) / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        try:
            seed_room(store)
            for shot in SHOTS:
                _shoot(store, out, *shot)
            failed = _escalations(store)   # after the others: they show no escalation
            _shoot(store, out, "alerts", "open", "light", failed, "alert-centre-escalation-failed.png")
            _notification_cards(store, out)
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
