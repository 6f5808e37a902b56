"""The business-continuity pack's "On call now" in a gap in a rota: the gap row says until when, when a shift in
the day ahead ends it (who comes then is in "On call to ...", the next table), as the system picture's tile and
/m/ do; a gap that runs past the day ahead is left "—"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.records import contacts
from models.service import reports
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.records.seed import CONTACTS

AT = datetime(2026, 1, 13, 3, 0, tzinfo=timezone.utc)   # Tue 03:00


def _rota(store, shifts) -> None:
    uids = {c["name"]: authoring.upsert_contact(store, author="seed", **c) for c in CONTACTS}
    with store.session() as s, s.begin():
        for rota, who, start_h, end_h in shifts:
            contacts.add_shift(s, rota=rota, contact_uuid=uids[who], starts_at=AT + timedelta(hours=start_h),
                               ends_at=AT + timedelta(hours=end_h))


def test_a_gap_now_says_until_when_a_shift_in_the_day_ahead_ends_it(store):
    _rota(store, [("Director on-call", "Dr Priya Raman", -10, -1), ("Director on-call", "Tom Okafor", 2, 14),
                  ("Critical care network", "Critical care network", -5, -2)])   # no later shift: "—"
    report = reports.build(store, "bc-pack", AT)
    rows = {r[0]: (r[1], r[5]) for r in report.table("on_call_now").rows}
    assert rows == {"Director on-call": ("NOBODY ON CALL", AT + timedelta(hours=2)),
                    "Critical care network": ("NOBODY ON CALL", None)}
    assert [(r[1], r[4]) for r in report.table("on_call_24h").rows] == [("Tom Okafor", AT + timedelta(hours=2))]
