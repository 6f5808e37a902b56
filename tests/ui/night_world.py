"""The room at night with the feed down: ``tests.ui.system_world``'s 40 providers seen at 03:00 on a winter
night, the last data at 21:00 (six hours stale), the Director on-call rota with nobody on call from 02:00 to
05:00, the hub's alerts (one raised on a figure the data-quality checks doubt), open transfers and overdue
actions.  Everything arrives through ``sync.apply`` or the door, as in the app.

``python -m tests.ui.night_world OUT`` renders every tab and the main dialogs at 1366x768 and 1920x1080, light
and dark, for looking at (QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from models.records import contacts
from models.replica.utc import to_utc_text
from models.rules.alert_engine import Signal
from models.service import housekeeping
from sync import authoring
from tests.ui.alert_seed import apply_alerts, signals_to_alerts
from tests.ui.feeds import Feed
from tests.ui.system_world import seed_world

DATA_END = datetime(2026, 1, 12, 21, 0, tzinfo=timezone.utc)   # a winter Monday: UK time is UTC
NIGHT = DATA_END + timedelta(hours=6)                           # 03:00 on Tuesday: the feed six hours down
DOUBTED_METRIC = "ga_bed_occupancy_pct"


def seed_night(store, data_end: datetime = DATA_END) -> dict[str, list[str]]:
    codes = seed_world(store, data_end)
    doubted = codes["acute"][6]
    f = Feed(first_seq=98_000)
    # Thirteen quarter-hours near 88%, then 112% in the last report (a robust score of 16, over the check's 8):
    # a sudden jump the data-quality checks doubt, on a figure the hub's 95%-for-30-minutes alert was raised on.
    for n in range(13, 0, -1):
        f.observation(doubted, DOUBTED_METRIC, data_end - timedelta(minutes=2 + 15 * n), 88.0 + (n % 3) * 0.1)
    f.observation(doubted, DOUBTED_METRIC, data_end - timedelta(minutes=2), 112.0)
    f.apply(store)
    apply_alerts(store, signals_to_alerts([
        Signal(DOUBTED_METRIC, "provider", doubted, data_end - timedelta(minutes=37), 96.0, doubted),
        Signal(DOUBTED_METRIC, "provider", doubted, data_end - timedelta(minutes=2), 112.0, doubted)]),
        first_seq=98_500)
    # The Director on-call: seed_world's shift ends at 02:00; the next starts at 05:00.
    with store.session() as s, s.begin():
        tom = s.execute(text("SELECT uuid FROM contact WHERE name = 'Tom Okafor'")).scalar_one()
        contacts.add_shift(s, rota="Director on-call", contact_uuid=tom,
                           starts_at=data_end + timedelta(hours=8), ends_at=data_end + timedelta(hours=20))
    authoring.add_action(store, description="Confirm the mental health out-of-area bed with the crisis team",
                         owner="Night room lead", author="seed", due_at=data_end + timedelta(hours=2))
    housekeeping.run(store, data_end)   # the checks as the window ran them at the last sync
    with store.writing() as s:   # synced at the last data (apply stamps the wall clock, today's date)
        s.execute(text("UPDATE feed_cursor SET last_sync_at = :at"), {"at": to_utc_text(data_end)})
        s.execute(text("UPDATE ambulance_status SET received_at = :at"), {"at": to_utc_text(data_end)})
    return codes


def _shots(out: Path) -> None:
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from scc_desktop import gui
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.support.replica import fresh_replica
    from ui import tasks
    from ui.choices import VIEW_KEYS
    from ui.main_window import MainWindow

    gui.application()
    with tempfile.TemporaryDirectory() as tmp:
        store = fresh_replica(Path(tmp) / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        seed_night(store)
        views = os.environ.get("NIGHT_VIEWS", " ".join(VIEW_KEYS)).split()
        for theme_key in os.environ.get("NIGHT_THEMES", "dark light").split():
            for w, h in ((1366, 768), (1920, 1080)):
                window = MainWindow(store, clock=lambda: NIGHT)
                for key in views:
                    path = gui.render(window, out / f"{key}-{w}x{h}-{theme_key}.png", key, theme=theme_key,
                                      size=(w, h))
                    print("wrote", path, flush=True)
                window.close()
                window.deleteLater()
                tasks.manager().wait_idle()
        store.close()


if __name__ == "__main__":
    import sys

    _shots(Path(sys.argv[1]))
