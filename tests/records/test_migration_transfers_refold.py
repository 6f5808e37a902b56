"""A replica upgraded from before session 23's transfer fold holds each case as the old fold left it: a
departed patient's case "cancelled" by a desktop that was offline (off the open board, no conflict
marked), a settled clash marked for good. The migration refolds every case from its events, so the
upgraded replica shows what a new one would, without waiting for each case's next change."""

from __future__ import annotations

from sqlalchemy import text

from models.replica import keyfile, migrate
from models.replica.orm import Transfer
from models.replica.store import Store
from sync.apply_records import refold_transfer
from tests.models.conftest import FAST_KDF, PASSPHRASE

PREVIOUS_HEAD = "0019"   # the head before the refold
A, B = "desk-a", "desk-b"
CREATED = ('{"local_ref": "%s", "kind": "inter_hospital", "from_code": "RAA", "to_code": "RBB", '
           '"priority": "urgent", "status": "requested", "requested_at": "2026-01-12T08:00:00.000000+00:00"}')


def _at(hhmm: str) -> str:
    return f"2026-01-12T{hhmm}:00.000000+00:00"


# uuid -> (stored as the old fold left it: status, departed_at, has_conflict), its events after creation
CASES = {
    "c-departed": (("cancelled", None, 0), [
        ("09:00", A, "status", "requested", "accepted"), ("09:00", A, "accepted_at", None, _at("09:00")),
        ("09:30", A, "status", "accepted", "departed"), ("09:30", A, "departed_at", None, _at("09:30")),
        ("09:40", B, "status", "requested", "cancelled")]),
    "c-settled": (("arrived", _at("09:30"), 1), [
        ("09:00", A, "to_code", "RBB", "RCC"), ("09:10", B, "to_code", "RBB", "RDD"),
        ("09:20", A, "to_code", "RDD", "RCC"),
        ("09:25", A, "status", "requested", "accepted"), ("09:30", A, "status", "accepted", "departed"),
        ("09:30", A, "departed_at", None, _at("09:30")), ("09:50", A, "status", "departed", "arrived")]),
    "c-plain": (("accepted", None, 0), [("09:00", A, "status", "requested", "accepted")]),
}


def _old_replica(path) -> None:
    key = keyfile.create(path, PASSPHRASE, "chacha20", FAST_KDF)
    old = Store(path, key, "chacha20", upgrade=False)
    migrate.upgrade(old.engine, PREVIOUS_HEAD)
    with old.engine.begin() as conn:
        for n, (uid, ((status, departed, conflict), events)) in enumerate(CASES.items()):
            conn.execute(text(
                "INSERT INTO transfer (uuid, local_ref, kind, from_code, to_code, clinical_need, priority, status, "
                "requested_at, departed_at, notes, has_conflict, updated_at) VALUES (:u, :ref, 'inter_hospital', "
                "'RAA', 'RCC', '', 'urgent', :s, :req, :dep, '', :c, :req)"),
                {"u": uid, "ref": f"T-{n}", "s": status, "req": _at("08:00"), "dep": departed, "c": conflict})
            rows = [(f"{uid}-0", _at("08:00"), A, "created", None, CREATED % f"T-{n}")]
            rows += [(f"{uid}-{i + 1}", _at(at), dev, field, old_v, new_v)
                     for i, (at, dev, field, old_v, new_v) in enumerate(events)]
            for r in rows:
                conn.execute(text(
                    "INSERT INTO transfer_event (uuid, transfer_uuid, at, author, device_id, field, old_value, "
                    "new_value) VALUES (:e, :u, :at, 'Lead', :d, :f, :o, :nv)"),
                    {"e": r[0], "u": uid, "at": r[1], "d": r[2], "f": r[3], "o": r[4], "nv": r[5]})
    old.close()


def _cases(store) -> dict[str, tuple]:
    with store.session() as s:
        return {uid: (t.status, t.departed_at is not None, t.has_conflict, t.to_code)
                for uid in CASES for t in [s.get(Transfer, uid)]}


def test_an_upgraded_replica_shows_every_case_as_its_events_say(tmp_path):
    path = tmp_path / "old.db"
    _old_replica(path)
    with Store.unlock(path, PASSPHRASE) as store:
        assert store.schema_revision() == migrate.head_revision()
        upgraded = _cases(store)
        assert upgraded == {
            "c-departed": ("departed", True, True, "RBB"),   # on the road, flagged: not "cancelled" off the board
            "c-settled": ("arrived", True, False, "RCC"),    # the clash was settled: no longer marked
            "c-plain": ("accepted", False, False, "RBB"),
        }
        # The same as the fold a replica applies to each case as it syncs.
        with store.writing() as s:
            for uid in CASES:
                refold_transfer(s.connection(), uid)
        assert _cases(store) == upgraded


def test_migration_0021_records_which_fields_clash_and_keeps_old_settlements(tmp_path):
    # Events held before session 24 have no ``seen``: a clash their changes settled the old way stays settled
    # (c-settled: the destination set again from the value it had), and each case's row says which fields
    # have a conflict nobody has settled, as data.
    path = tmp_path / "old.db"
    _old_replica(path)
    with Store.unlock(path, PASSPHRASE) as store:
        with store.session() as s:
            assert {uid: (t.has_conflict, t.conflict_fields) for uid in CASES for t in [s.get(Transfer, uid)]} == {
                "c-departed": (True, "status"), "c-settled": (False, ""), "c-plain": (False, "")}
            seen = s.execute(text("SELECT COUNT(*) FROM transfer_event WHERE seen IS NOT NULL")).scalar()
        assert seen == 0


def test_migration_0022_marks_a_clash_two_copies_made_under_one_identity(tmp_path):
    # Two copies of one replica (identity A) changed one case's owner unaware of each other, and one stepped
    # it to cancelled from "accepted" after the other's departure: held before session 25 unmarked.
    path = tmp_path / "old.db"
    key = keyfile.create(path, PASSPHRASE, "chacha20", FAST_KDF)
    old = Store(path, key, "chacha20", upgrade=False)
    migrate.upgrade(old.engine, "0021")
    events = [("08:00", "created", None, CREATED % "T-22"), ("09:00", "status", "requested", "accepted"),
              ("09:10", "owner", None, "Lead A"), ("09:20", "owner", None, "Lead B"),
              ("09:30", "status", "accepted", "departed"), ("09:40", "status", "accepted", "cancelled")]
    with old.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO transfer (uuid, local_ref, kind, from_code, to_code, clinical_need, priority, status, "
            "requested_at, owner, notes, has_conflict, conflict_fields, updated_at) VALUES ('c-copies', 'T-22', "
            "'inter_hospital', 'RAA', 'RBB', '', 'urgent', 'departed', :req, 'Lead B', '', 0, '', :req)"),
            {"req": _at("08:00")})
        for n, (at, field, old_v, new_v) in enumerate(events):
            conn.execute(text(
                "INSERT INTO transfer_event (uuid, transfer_uuid, at, author, device_id, field, old_value, "
                "new_value, seen) VALUES (:e, 'c-copies', :at, 'Lead', :d, :f, :o, :nv, '[]')"),
                {"e": f"c-copies-{n}", "at": _at(at), "d": A, "f": field, "o": old_v, "nv": new_v})
    old.close()
    with Store.unlock(path, PASSPHRASE) as store:
        with store.session() as s:
            t = s.get(Transfer, "c-copies")
            assert (t.status, t.owner, t.has_conflict, t.conflict_fields) == ("departed", "Lead B", True,
                                                                              "status,owner")
