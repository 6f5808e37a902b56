"""An alert keeps the threshold it was raised at after the room edits its rule (a real hub on loopback,
a real encrypted replica), and a replica from before it kept one upgrades and reads without a
contradiction."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text

from models.replica import keyfile, migrate
from models.replica.store import Store
from models.service import alert_centre
from models.service import alerts as alert_service
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.sync.engine.conftest import observation, submit

OCC_90 = {"id": "occ_room_90", "name": "Bed occupancy high (room)", "kind": "threshold", "scope": "provider",
          "metric": "ga_bed_occupancy_pct", "direction": "above", "raise": 90, "clear": 85, "severity": "warning"}


def _now():
    return datetime.now(timezone.utc)


def _open(desk):
    return {a.org_code: a for a in alert_centre.centre(desk.store, _now(), "open", rule="occ_room_90").alerts}


def test_an_open_alert_keeps_the_threshold_it_was_raised_at_after_the_rule_is_edited(sqlite_hub, make_desktop):
    """Raised at 92% under "≥ 90%"; the room raises the rule to 95% (the open alert stays open: 92 is
    above the new clear); another trust's 96% raises it again under "≥ 95%". The first alert read
    "raised at 92% (rule ≥ 95%)", which contradicts itself: the desktop kept one threshold per rule,
    taken from the newest alert."""
    desk = make_desktop(sqlite_hub)
    assert alert_service.add_rule(desk.store, OCC_90, "Room lead", _now()).applied
    assert desk.run_once().error is None
    submit(sqlite_hub, [observation("ga_bed_occupancy_pct", 92.0)], org="RTEST1", role="admin")
    assert desk.run_once().error is None
    assert _open(desk)["RTEST1"].threshold == "≥ 90%"

    edited = dict(OCC_90, **{"raise": 95, "clear": 88})
    assert alert_service.edit_rule(desk.store, edited, "Room lead", _now()).applied
    assert desk.run_once().error is None
    submit(sqlite_hub, [observation("ga_bed_occupancy_pct", 96.0)], org="RTEST2", role="admin")
    assert desk.run_once().error is None

    shown = _open(desk)
    assert set(shown) == {"RTEST1", "RTEST2"}
    first, second = shown["RTEST1"], shown["RTEST2"]
    assert (first.value, first.threshold) == ("92%", "≥ 90%")
    assert "at 92% (rule ≥ 90%)" in first.detail, first.detail
    assert (second.value, second.threshold) == ("96%", "≥ 95%")
    assert "at 96% (rule ≥ 95%)" in second.detail, second.detail


def _old_replica_with_open_alerts(path):
    """A replica at 0017 (no threshold on its alerts) holding two open hub alerts of one rule: one
    raised at 92% before the rule was edited to 95%, one at 96% after; the rule's row says 95%."""
    key = keyfile.create(path, PASSPHRASE, "chacha20", FAST_KDF)
    old = Store(path, key, "chacha20", upgrade=False)
    migrate.upgrade(old.engine, "0017")
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO alert_rule (code, name, metric_code, comparison, threshold, sustained_minutes, "
                          "severity, enabled) VALUES ('occ_room_90', 'Bed occupancy high (room)', "
                          "'ga_bed_occupancy_pct', '>=', 95, 0, 'warning', 1)"))
        for n, (org, value) in enumerate((("RTEST1", 92.0), ("RTEST2", 96.0))):
            conn.execute(text(
                "INSERT INTO alert_event (uuid, rule_code, org_code, raised_at, detail, subject, metric_code, "
                "severity, value) VALUES (:u, 'occ_room_90', :org, :at, 'hub words', :subject, "
                "'ga_bed_occupancy_pct', 'warning', :value)"),
                {"u": f"00000000-0000-4000-8000-00000000000{n}", "org": org, "subject": f"provider:{org}",
                 "at": f"2026-12-05T0{8 + n}:00:00.000000+00:00", "value": value})
    old.close()


def test_an_old_replicas_open_alerts_upgrade_and_one_the_edited_rule_no_longer_fits_says_rule_now(tmp_path):
    """Before the upgrade no alert kept its threshold, and the feed is not read again: an alert the
    rule's present threshold fits is told as before; one it does not fit (92% against ≥ 95%) says
    "rule now ≥ 95%", which is true, not that it was raised under it."""
    path = tmp_path / "old.db"
    _old_replica_with_open_alerts(path)
    with Store.unlock(path, PASSPHRASE) as store:
        assert store.schema_revision() == migrate.head_revision()
        now = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
        shown = {a.org_code: a for a in alert_centre.centre(store, now, "open").alerts}
    assert (shown["RTEST2"].threshold, shown["RTEST1"].threshold) == ("≥ 95%", "now ≥ 95%")
    assert "at 96% (rule ≥ 95%)" in shown["RTEST2"].detail, shown["RTEST2"].detail
    assert "at 92% (rule now ≥ 95%)" in shown["RTEST1"].detail, shown["RTEST1"].detail
