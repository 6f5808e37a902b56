"""Migration 0025 (``contact.checked_at``, ``contact.checked_by``) on a real encrypted replica at real size: a
directory of 5,000 contacts last edited over two years beside a week of 40 providers' data.  Opened as a user's
would be (upgraded in place): every contact is taken as checked at its last edit, by whoever made it; the
data-quality check then finds the ones not checked in 90 days, naming how many; a "Checked now" after the
upgrade is kept; downgraded, the columns go and the rest is as it was."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text

from benchmarks import desktop_fixture as fx
from models.records import quality
from models.replica import migrate
from models.replica.store import Store
from models.replica.utc import from_utc_text
from models.rules.quality.contacts_unchecked import CHECK_DUE_DAYS
from sync import authoring
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE

BEFORE = "0024"
CONTACTS = 5_000


def _directory(path) -> int:
    """Contacts as a replica before 0025 holds them: edited every 3.5 hours back from the fixture's end."""
    end = int(fx.END.timestamp())
    with old_replica.held(path) as store:
        with store.raw() as raw, raw:
            raw.executemany(
                "INSERT INTO contact (uuid, name, organisation, org_code, role, service, phone, email, cover, notes,"
                " deleted, updated_at, updated_by, device_id) VALUES (?, ?, ?, NULL, 'Site manager', 'acute', ?, NULL,"
                " 'both', '', ?, ?, ?, 'dev-old')",
                [(f"00000000-0000-4000-8000-{n:012d}", f"Site manager {n:04d}", f"Trust {n % 40} NHS Trust",
                  f"0113 496 {n % 10000:04d}", int(n % 100 == 0), fx.utc_text(end - n * 12_600),
                  None if n % 7 == 0 else f"Editor {n % 5}") for n in range(CONTACTS)])
    return CONTACTS


def _contact_rows(path) -> list[tuple]:
    with old_replica.held(path) as store, store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT uuid, name, organisation, phone, deleted, updated_at, updated_by FROM contact ORDER BY uuid"))]


def test_0025_on_a_replica_with_thousands_of_contacts_upgrades_and_downgrades(tmp_path):
    path = tmp_path / "scc.db"
    before = old_replica.before(path, BEFORE)
    held = _directory(path)
    contacts_before = _contact_rows(path)

    t0 = time.perf_counter()
    with Store.unlock(path, PASSPHRASE) as store:
        upgraded = time.perf_counter() - t0
        assert store.schema_revision() == migrate.head_revision()
        with store.session() as s:
            rows = s.execute(text("SELECT updated_at, updated_by, checked_at, checked_by, deleted FROM contact")).all()
            assert len(rows) == held
            assert all((c_at, c_by) == (u_at, u_by) for u_at, u_by, c_at, c_by, _d in rows)
            now = fx.END
            due = sum(1 for u_at, _b, _c, _cb, deleted in rows
                      if not deleted and now - from_utc_text(u_at) > timedelta(days=CHECK_DUE_DAYS))
        assert 4_000 < due < held
        t0 = time.perf_counter()
        with store.writing() as w:
            result = quality.refresh(w, now)
        checked = time.perf_counter() - t0
        with store.session() as s:
            (detail,) = s.execute(text("SELECT detail FROM data_quality_finding WHERE resolved_at IS NULL"
                                       " AND check_code = 'contact_unchecked'")).scalars().all() or [None]
        assert detail is not None and detail.startswith(f"{due} contacts not checked in {CHECK_DUE_DAYS} days: ")
        assert f"and {due - 20} more" in detail and "Site manager 4999 (Trust 39 NHS Trust)" in detail
        # A check after the upgrade is kept, and counted.
        assert authoring.check_contact(store, "00000000-0000-4000-8000-000000004999", "Sam Checker")
        with store.session() as s:
            assert s.execute(text("SELECT checked_by FROM contact WHERE name = 'Site manager 4999'")).scalar() \
                == "Sam Checker"
    after = old_replica.without_revision(old_replica.fingerprint(path))
    assert after.pop("outbox")[0] == before["outbox"][0] + 1     # the check, to be sent
    assert after == {k: v for k, v in old_replica.without_revision(before).items() if k != "outbox"}

    with old_replica.held(path) as store:
        downgraded = old_replica.downgrade(store, BEFORE)
        with store.engine.connect() as conn:
            columns = {r[1] for r in conn.execute(text("PRAGMA table_info(contact)"))}
            assert not columns & {"checked_at", "checked_by"}
            assert conn.execute(text("SELECT count(*) FROM contact")).scalar() == held
    assert _contact_rows(path) == contacts_before   # every contact's details as they were
    print(f"\n0025 on {held} contacts ({due} overdue) beside 7 days x 40 providers: upgrade on open {upgraded:.3f} s, "
          f"data-quality pass {checked:.3f} s (raised {result.raised}), downgrade {downgraded:.2f} s")
