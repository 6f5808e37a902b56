"""The decision log's chain heads compared with the hub's (hazard H-08): a real hub on loopback, two real
encrypted replicas.

Before session 27 another desktop's newest decision deleted from this replica with SQL, before the hub had
chained anything after it, left no link here naming it: ``records verify`` and the chain watch said the log
was intact. The hub still held it; now it says each chain's head (``GET /v1/records/heads``) and the desktop
names what it lacks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models.records import chain_watch
from models.records import verify as records_verify
from models.replica.orm import AlertEvent, DecisionEntry
from models.replica.orm.types import utcnow
from models.service import housekeeping
from scc_desktop import cli
from sync import authoring, record_heads
from tests.support.hub import start_hub

pytestmark = pytest.mark.timeout(300)


def _decide(desk, n: int):
    return authoring.record_decision(desk.store, decision_maker=f"Dr Lead {n}", decision_maker_role="Director on-call",
                                     decision=f"Decision {n}: open six escalation beds", rationale="Waits rising",
                                     recorded_by="Room support")


def _verify(desk, hub=None):
    with desk.store.session() as s:
        return records_verify.verify(s, hub=hub)


def _room(sqlite_hub, make_desktop):
    """Desktop b writes one decision, then a writes two: a's second is the hub's newest, nothing after it."""
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    _decide(b, 0)
    assert b.run_once().error is None
    first, newest = _decide(a, 1), _decide(a, 2)
    assert a.run_once().error is None and b.run_once().error is None
    return a, b, first, newest


def _device(desk, entry) -> str:
    with desk.store.session() as s:
        return s.get(DecisionEntry, entry.uuid).device_id


def test_another_desktops_newest_decision_deleted_here_is_named_by_verify_and_the_watch(sqlite_hub, make_desktop,
                                                                                          cli_env, capsys,
                                                                                          monkeypatch):
    a, b, first, newest = _room(sqlite_hub, make_desktop)
    heads = record_heads.ask(b.client)
    assert [h.device_seq for h in sorted(heads.devices, key=lambda h: h.device_seq)] == [1, 2]
    assert heads.hub.uuid == newest.uuid and heads.hub.position == heads.head
    normal = _verify(b, heads)
    assert normal.intact and normal.hub.compared and normal.hub.chains == 3 and normal.hub.ahead == 0
    assert "3 chain head(s) compared with the hub's: the same here" in normal.summary()

    with b.store.raw() as conn:   # a's newest decision removed from b's replica
        conn.execute("DELETE FROM decision_entry WHERE uuid = ?", (newest.uuid,))
    assert _verify(b).intact   # the links alone cannot see it (the limit this closes)
    report = _verify(b, record_heads.ask(b.client))
    assert not report.intact and [p.check for p in report.problems] == ["hub_heads"]
    said = report.first_problem.sentence()
    assert report.first_problem.uuid == newest.uuid
    assert f"decision {_device(a, first)}/2 held by the hub is missing here" in said, said

    # one this replica could not store from the feed (quarantined, as sync.apply keeps it) is named as such
    with b.store.raw() as conn:
        conn.execute("INSERT INTO quarantined_record (received_at, source, payload, errors) VALUES "
                     "('2026-12-06T03:00:00.000000+00:00', 'feed:record', ?, '[\"data.device_seq: odd\"]')",
                     (f'{{"kind": "record", "uuid": "{newest.uuid}"}}',))
    kept = _verify(b, record_heads.ask(b.client)).first_problem.reason
    assert "quarantined it from the feed and never stored it" in kept and "odd" in kept, kept
    with b.store.raw() as conn:
        conn.execute("DELETE FROM quarantined_record")

    # records verify, with the hub named on the command line (its token from the environment)
    monkeypatch.setenv("SCC_HUB_TOKEN", sqlite_hub.tokens["room_lead"])
    assert cli.main(["records", "verify", "--path", str(b.store.path), "--hub", sqlite_hub.url]) == 1
    err = capsys.readouterr().err
    assert f"decision {_device(a, first)}/2 held by the hub is missing here" in err
    assert cli.main(["records", "verify", "--path", str(b.store.path), "--no-hub"]) == 0   # the replica alone
    assert "chain head" not in capsys.readouterr().out

    # the chain watch, asking the hub through a client of its own, alerts the room once
    watch = housekeeping.chain_watch_of(b.store)
    watch.ask_hub = record_heads.asker(b.client)
    found = housekeeping.check_chain(b.store, utcnow())
    assert found is not None and not found.intact
    housekeeping.run(b.store, utcnow())
    with b.store.session() as s:
        alerts = s.scalars(select(AlertEvent).where(AlertEvent.rule_code == chain_watch.RULE_CODE)).all()
    assert len(alerts) == 1 and "held by the hub is missing here" in alerts[0].detail

    # a changed hash of a chain's head is named against the hub too (its own newest decision's hash rewritten
    # on a: a forgery its content check names anyway)
    with a.store.raw() as conn:
        conn.execute("UPDATE decision_entry SET content_hash = ? WHERE uuid = ?", ("0" * 64, newest.uuid))
    changed = _verify(a, record_heads.ask(a.client))
    assert any(p.check == "hub_heads" and "reads another content hash here" in p.reason for p in changed.problems)


def test_nothing_false_on_a_normal_run_mid_sync_and_offline(sqlite_hub, make_desktop, cli_env, capsys, monkeypatch):
    a, b, _first, newest = _room(sqlite_hub, make_desktop)
    for desk in (a, b):
        report = _verify(desk, record_heads.ask(desk.client))
        assert report.intact and report.hub.compared, [p.sentence() for p in report.problems]

    # mid-sync: a third desktop that has applied the feed only part of the way
    c = make_desktop(sqlite_hub, "c", batch_limit=1, max_batches_per_cycle=1)
    assert c.run_once().error is None
    behind = _verify(c, record_heads.ask(c.client))
    assert behind.intact, [p.sentence() for p in behind.problems]
    assert behind.hub.ahead >= 1 and "not compared yet: the feed has not brought them here" in behind.hub.said
    # the hub's head taken after this replica's read began: a newer decision is ahead, never missing
    heads = record_heads.ask(b.client)
    _decide(a, 3)
    assert a.run_once().error is None
    later = record_heads.ask(b.client)
    assert later.hub.position > heads.hub.position
    racing = _verify(b, later)
    assert racing.intact and racing.hub.ahead >= 1

    # a decision the hub refused (its action due in 2206) stays in its desktop's log; the hub holds nothing
    # of it, so nothing is said of it
    from datetime import datetime, timezone

    from models.records import decision_actions
    typo = datetime(2206, 1, 12, 10, tzinfo=timezone.utc)
    action = "6d1f3c1e-0000-4000-8000-000000002207"
    refused = authoring.record_decision(
        a.store, decision_maker="Dr Patel", decision_maker_role="Director on-call", decision="Open the ward",
        rationale="OPEL 4", recorded_by="Room support",
        links=[decision_actions.link([decision_actions.item(action, "Tell the EOC", "Sam Okafor", typo)])])
    authoring.add_action(a.store, description="Tell the EOC", owner="Sam Okafor", author="Room support",
                         decision_uuid=refused.uuid, due_at=typo, action_uuid=action)
    assert a.run_once().error is None and a.run_once().error is None
    assert record_heads.ask(a.client).hub.uuid != refused.uuid
    after_refusal = _verify(a, record_heads.ask(a.client))
    assert not any(p.check == "hub_heads" for p in after_refusal.problems), \
        [p.sentence() for p in after_refusal.problems]

    # offline: it says it could not compare, never that the heads are the same
    sqlite_hub.stop()
    offline = record_heads.ask(b.client)
    assert isinstance(offline, str) and "could not be reached" in offline
    report = _verify(b, offline)
    assert report.intact and not report.hub.compared
    assert "not compared with the hub's chain heads: the hub could not be reached" in report.summary()
    assert "the same here" not in report.summary()
    watch = chain_watch.Watch(ask_hub=record_heads.asker(b.client))
    with b.store.session() as s:
        assert chain_watch.check(s, watch, utcnow()).intact

    def broken():
        raise RuntimeError("a fault of the asking itself")
    with b.store.session() as s:   # the log is still checked, and says why the hub part was not
        faulty = chain_watch.check(s, chain_watch.Watch(ask_hub=broken), utcnow())
    assert faulty.intact and "asking the hub failed (RuntimeError" in faulty.summary()
    monkeypatch.setenv("SCC_HUB_TOKEN", sqlite_hub.tokens["room_lead"])
    assert cli.main(["records", "verify", "--path", str(b.store.path), "--hub", sqlite_hub.url]) == 0
    out, err = capsys.readouterr()
    assert "not compared with the hub's chain heads: the hub could not be reached" in out + err
    assert "the same here" not in out + err
    sqlite_hub.start()


def test_the_window_compares_with_the_hub_it_syncs_with(sqlite_hub, make_desktop):
    """The window's sync start hands the watch an asker with a client of its own, closed with the sync's."""
    from ui import main_window

    desk = make_desktop(sqlite_hub, "w")
    asked = main_window._compare_chain_heads(desk.store, desk.client)
    watch = housekeeping.chain_watch_of(desk.store)
    assert watch.ask_hub is asked and not isinstance(asked(), str)
    asked.close()   # the window closing (the sync loop's interrupt)
    assert asked() == "the sync with the hub was stopped"
    again = main_window._compare_chain_heads(desk.store, desk.client)
    desk.client.close()   # the sync's own client closed
    assert again() == "the sync with the hub was stopped"
    assert main_window._compare_chain_heads(desk.store, object()) is None   # a stand-in engine's: left as it was
    assert watch.ask_hub is again


def test_a_hub_other_than_the_one_this_replica_follows_is_not_compared(sqlite_hub, make_desktop, tmp_path):
    """Asked of another hub (``records verify --hub`` at the wrong address, a hub whose database was replaced),
    every head at a position this replica has passed looked missing here: its positions are another feed's.
    The replica keeps the id of the hub it follows at its first sync, and only that hub is compared (review
    r1, session 27)."""
    a, b, _first, _newest = _room(sqlite_hub, make_desktop)
    with b.store.raw() as conn:
        [(kept,)] = conn.execute("SELECT value FROM replica_meta WHERE key = 'hub_id'").fetchall()
    assert kept == sqlite_hub.request("GET", "/health").json()["hub_id"]
    cursor = b.position()

    other = start_hub(tmp_path / "other")
    try:
        c, d = make_desktop(other, "c"), make_desktop(other, "d")
        _decide(c, 1)   # c's chain early in the other hub's feed, d's much later: its head is past b's cursor
        assert c.run_once().error is None
        for n in range(2, 2 + cursor):
            _decide(d, n)
        assert d.run_once().error is None
        theirs = record_heads.ask(c.client)
        assert theirs.hub_id != kept and theirs.head > cursor
        assert any(h.position <= cursor for h in theirs.devices)   # a head b has "passed": judged without the id
        report = _verify(b, theirs)
        assert report.intact and not report.hub.compared, report.summary()
        assert "is not the one this replica follows" in report.hub.said
        assert _verify(b, record_heads.ask(b.client)).hub.compared   # its own hub still is
    finally:
        other.stop()
