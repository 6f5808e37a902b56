"""Room records through a real hub on loopback: decisions once, the hub chain, contact merges."""

from __future__ import annotations

from sqlalchemy import select, update

from models.records import contacts
from models.records import verify as records_verify
from models.replica.orm import Contact, DecisionEntry, OutboxItem
from scc_desktop import cli
from sync import authoring
from tests.support.hub import shown_as


def _feed_records(hub):
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0})
    assert resp.status_code == 200, resp.text
    return [i["data"] for i in resp.json()["items"] if i["kind"] == "record"]


def _verify(store):
    with store.session() as s:
        return records_verify.verify(s)


def test_a_decision_written_offline_reaches_the_hub_exactly_once(sqlite_hub, make_desktop):
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    sqlite_hub.stop()
    entry = authoring.record_decision(desk.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision="Stand up the SCC overnight", rationale="Feed lost",
                                      recorded_by="Dr A")
    assert desk.run_once().error  # offline: the outbox keeps it
    sqlite_hub.start()
    first, second = desk.run_once(), desk.run_once()
    assert (first.error, first.pushed, second.pushed) == (None, 1, 0)
    # The hub stored it but the acknowledgement was lost: the retry is a duplicate, not a copy.
    with desk.store.session() as s, s.begin():
        s.execute(update(OutboxItem).values(sent_at=None))
    assert desk.run_once().error is None
    assert [r["uuid"] for r in _feed_records(sqlite_hub)] == [entry.uuid]
    with desk.store.session() as s:
        stored = s.get(DecisionEntry, entry.uuid)
        assert stored.hub_seq is not None and stored.hub_prev_hash is None and len(stored.hub_hash) == 64
    assert _verify(desk.store).intact


def test_hub_chain_verified_across_desktops_and_a_broken_link_named(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    for i, desk in enumerate((a, b, a, b)):
        authoring.record_decision(desk.store, decision_maker=f"Lead {i}", decision_maker_role="Room lead",
                                  decision=f"Decision {i}", rationale="r", recorded_by=f"Lead {i}")
        assert desk.run_once().error is None
    for desk in (a, b):
        assert desk.run_once().error is None
        report = _verify(desk.store)
        assert report.intact, [p.sentence() for p in report.problems]
        assert report.entries == 4 and report.hub_head.entries == 4 and len(report.device_heads) == 2
    heads = {desk: _verify(desk.store).hub_head.hash for desk in (a, b)}
    assert heads[a] == heads[b]  # both replicas hold the same hub chain
    with b.store.session() as s:
        chain = s.scalars(select(DecisionEntry).order_by(DecisionEntry.hub_seq)).all()
    with b.store.raw() as conn:  # change one character of one hub link
        bad = chain[1].hub_hash[:-1] + ("0" if chain[1].hub_hash[-1] != "0" else "1")
        conn.execute("UPDATE decision_entry SET hub_hash = ? WHERE uuid = ?", (bad, chain[1].uuid))
    report = _verify(b.store)
    first = report.first_problem
    assert (first.uuid, first.check, first.hub_seq) == (chain[1].uuid, "hub_chain", chain[1].hub_seq)
    assert [p.uuid for p in report.problems] == [chain[1].uuid, chain[2].uuid]
    # Removing an entry another desktop wrote (so it is not in this outbox) is caught by the
    # hub chain (the next entry's hub_prev_hash names the removed one's hub_hash) and by its
    # device's chain (its next entry's prev_device_hash).
    with a.store.raw() as conn:
        conn.execute("DELETE FROM decision_entry WHERE uuid = ?", (chain[1].uuid,))
    checks = [(p.uuid, p.check) for p in _verify(a.store).problems]
    assert checks == [(chain[2].uuid, "hub_chain"), (chain[3].uuid, "device_chain")]


def _contact(desk, uid):
    with desk.store.session() as s:
        return s.get(Contact, uid)


def test_contact_edits_from_two_offline_desktops_merge_field_by_field(sqlite_hub, make_desktop, cli_env,
                                                                     capsys):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Room lead A", name="Jo Bloggs",
                                   organisation="Test Acute Trust One", role="Site manager",
                                   service="acute", phone="01632 960001", cover="both")
    for desk in (a, b):
        assert desk.run_once().error is None
    assert _contact(b, uid).phone == "01632 960001"
    # Offline on both: the same field changed differently, and one different field each.
    authoring.upsert_contact(a.store, author="Room lead A", contact_uuid=uid, phone="01632 960002",
                             email="jo.bloggs@nhs.net")
    authoring.upsert_contact(b.store, author="Room lead B", contact_uuid=uid, phone="01632 960003",
                             role="Duty site manager")
    for desk in (a, b, a, b):
        assert desk.run_once().error is None
    seen = []
    for desk in (a, b):
        c = _contact(desk, uid)
        with desk.store.session() as s:
            found = contacts.conflicts(s, uid)
        seen.append((c.phone, c.email, c.role, [(k.field, k.kept, k.not_kept) for k in found]))
    # B's edit reached the hub last, so its phone wins everywhere; A's is kept visible, not dropped.
    assert seen[0] == seen[1] == ("01632 960003", "jo.bloggs@nhs.net", "Duty site manager",
                                  [("phone", "01632 960003", "01632 960002")])
    assert cli.main(["contacts", "conflicts", "--path", str(a.store.path)]) == 0
    assert "phone: kept '01632 960003', not kept '01632 960002'" in capsys.readouterr().out


def test_imported_contacts_reach_another_desktop_and_bad_rows_stay_quarantined(sqlite_hub, make_desktop,
                                                                              tmp_path):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    path = tmp_path / "directory.csv"
    path.write_text("name,organisation,phone,email\nAsha Patel,Test NHS 111,111,\n"
                    ",Test Mental Health Trust,01632 960100,\nBen Ode,Test Community Services,,ben@\n",
                    encoding="utf-8")
    result = authoring.import_contacts(a.store, contacts.read_file(path), "Room lead A")
    assert (len(result.created), result.rejected_rows, result.quarantined) == (1, 2, 2)
    for desk in (a, b):
        assert desk.run_once().error is None
    with b.store.session() as s:
        assert [c.name for c in s.scalars(select(Contact))] == ["Asha Patel"]


def test_an_action_ticked_on_two_offline_desktops_keeps_the_earliest_completion(sqlite_hub, make_desktop):
    from datetime import datetime, timezone

    from models.replica.orm import Action

    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    entry = authoring.record_decision(a.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision="Open escalation beds", rationale="r", recorded_by="Dr A")
    uid = authoring.add_action(a.store, description="Phone Trust One", owner="Room support", author="Dr A",
                               decision_uuid=entry.uuid, due_at=datetime(2025, 3, 30, 9, tzinfo=timezone.utc))
    for desk in (a, b):
        assert desk.run_once().error is None
    authoring.complete_action(b.store, uid, "Bo", datetime(2025, 3, 30, 9, 5, tzinfo=timezone.utc))
    authoring.complete_action(a.store, uid, "Al", datetime(2025, 3, 30, 9, 10, tzinfo=timezone.utc))
    assert authoring.complete_action(a.store, uid, "Al again") is False  # already done here
    for desk in (a, b, a, b):
        assert desk.run_once().error is None
    for desk in (a, b):
        with desk.store.session() as s:
            action = s.get(Action, uid)
            assert (action.decision_uuid, action.done_by, action.done_at.minute) == (entry.uuid, shown_as("Bo"), 5)


def test_text_pasted_from_a_word_processor_reaches_every_desktop_as_typed(sqlite_hub, make_desktop):
    """Word puts U+000B (line break) and U+000C (page break) in copied text; a decision holding them
    must sync like any other, not be refused by the hub and stay on one desktop for ever."""
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    rationale = "Queues rising\x0bat both sites\x0cSee the sitrep\ttable"
    entry = authoring.record_decision(a.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision="Open escalation beds", rationale=rationale, recorded_by="Dr A")
    first = a.run_once()
    assert (first.error, first.pushed, first.rejected) == (None, 1, 0)
    assert b.run_once().error is None
    with b.store.session() as s:
        assert s.get(DecisionEntry, entry.uuid).rationale == rationale
    assert _verify(b.store).intact


def test_the_records_export_says_when_an_entry_recorded_offline_reached_the_hub(sqlite_hub, make_desktop, tmp_path):
    """A records review's finding: an entry synced hours after it was recorded did not say when others
    could first have seen it.  The hub's receipt time travels on the feed and into the export."""
    import csv
    import json
    import shutil
    import subprocess
    from datetime import timedelta

    from models.records.export.records import export_records
    from models.uk_time import UK

    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    prompt = authoring.record_decision(desk.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                       decision="Open the escalation ward", rationale="OPEL 4", recorded_by="Dr A")
    late = authoring.record_decision(desk.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                     decision="Stand up the SCC overnight", rationale="Feed lost", recorded_by="Dr A")
    assert desk.run_once().error is None
    with desk.store.session() as s, s.begin():
        for uid in (prompt.uuid, late.uuid):
            got = s.get(DecisionEntry, uid)
            assert got.hub_received_at is not None and got.hub_received_at >= got.recorded_at
            assert got.device_sent_at is not None and got.device_sent_at >= got.recorded_at   # protocol 1.8
        # As a hub from before protocol 1.8 would have stamped it had this desktop been offline for 7 h 10 min
        # (the hub's clock cannot be moved from here; the content and its hashes are untouched): no desktop
        # clock kept, so the delay is read on two clocks and says so.
        entry = s.get(DecisionEntry, late.uuid)
        entry.hub_received_at = entry.recorded_at + timedelta(hours=7, minutes=10)
        entry.device_sent_at = None
        taken = entry.hub_received_at
    day = taken.astimezone(UK).date()
    first = min(day, prompt.recorded_at.astimezone(UK).date())
    result = export_records(desk.store, first, day, tmp_path / "out", icb="Test ICB", user="t", host="h")
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    by_uuid = {e["uuid"]: e for e in doc["entries"]}
    assert doc["format_version"] == 11 and by_uuid[late.uuid]["hub_received_at"].startswith(f"{taken:%Y-%m-%dT%H:%M}")
    assert by_uuid[prompt.uuid]["hub_received_at"] is not None and by_uuid[prompt.uuid]["device_sent_at"] is not None
    assert by_uuid[late.uuid]["device_sent_at"] is None and by_uuid[late.uuid]["late_minutes"] == 430.0
    assert by_uuid[prompt.uuid]["late_minutes"] is None
    with open(result.out_dir / "decisions.csv", newline="", encoding="utf-8") as f:
        rows = {r["uuid"]: r for r in csv.DictReader(f)}
    assert rows[late.uuid]["hub_received_at"] == by_uuid[late.uuid]["hub_received_at"]
    text = " ".join(subprocess.run([shutil.which("pdftotext"), str(result.out_dir / "decisions.pdf"), "-"],
                                   capture_output=True, text=True, timeout=60, check=True).stdout.split())
    assert text.count("after it was recorded") == 1
    assert ("7 h 10 min after it was recorded (others could not see it before; timed from the recording "
            "desktop's clock to the hub's, which may differ)") in text
    assert _verify(desk.store).intact


def test_a_decisions_actions_reach_another_desktop_inside_its_hash(sqlite_hub, make_desktop):
    from datetime import datetime, timezone

    from models.replica.orm import Action
    from models.service import decisions

    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    due = datetime(2026, 1, 12, 10, tzinfo=timezone.utc)
    new = decisions.NewDecision(decision_maker="Dr A", decision_maker_role="Director on-call",
                                decision="Divert from Alpha", rationale="r", recorded_by="Dr A",
                                decided_at=datetime(2026, 1, 12, 9, tzinfo=timezone.utc))
    out = decisions.record_decision(a.store, new, [decisions.NewAction("Tell the EOC", "Sam Okafor", due)])
    for desk in (a, b):
        assert desk.run_once().error is None
    with b.store.session() as s:
        action = s.get(Action, out.uuids[0])
        assert (action.decision_uuid, action.owner, action.due_at) == (out.uuid, "Sam Okafor", due)
        links = s.get(DecisionEntry, out.uuid).links
    assert links == [{"kind": "actions", "items": [{"uuid": out.uuids[0], "description": "Tell the EOC",
                                                    "owner": "Sam Okafor", "due_at": "2026-01-12T10:00:00.000000+00:00"}]}]
    assert _verify(b.store).intact and _verify(a.store).intact
    # Done on B: when and by whom is a later fact, outside the entry's hash.
    authoring.complete_action(b.store, out.uuids[0], "Bo")
    for desk in (b, a):
        assert desk.run_once().error is None
    assert _verify(a.store).intact


def test_a_decision_shows_who_pushed_it_when_that_is_not_the_name_it_was_signed_with(sqlite_hub, make_desktop,
                                                                                     tmp_path):
    """A decision's recorded_by is the name its desktop signed with, hashed into its chain; anyone holding a desktop
    token could sign another's name. The hub stamps the token's user on the feed; since revision 0029 the replica
    keeps it beside the entry (outside the hash) and the log, the PDF and the export show it first, as every other
    record's doer is shown (models.record_signer). Before, the log and the records export showed "Sam Patel" alone."""
    import csv
    import json
    import subprocess

    from models.queries import records as rq
    from models.records.export.records import export_records
    from tests.records.export_tamper import run_standalone

    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    assert a.run_once().error is None and b.run_once().error is None
    forged = authoring.record_decision(b.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                       decision="Close the escalation ward", rationale="OPEL 2",
                                       recorded_by="Sam Patel")
    own = authoring.record_decision(a.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                    decision="Keep the ward open", rationale="OPEL 3", recorded_by="Test Room Lead")
    assert b.run_once().error is None and a.run_once().error is None and b.run_once().error is None
    for desk in (a, b):
        with desk.store.session() as s:
            got = {uid: s.get(DecisionEntry, uid) for uid in (forged.uuid, own.uuid)}
            assert got[forged.uuid].hub_author == got[own.uuid].hub_author == "test-room_lead"
            assert got[forged.uuid].content_hash == forged.content_hash   # the chain is as recorded
            shown = {e.uuid: e.recorded_by_shown for e in map(rq.Entry.of, got.values())}
        assert shown == {forged.uuid: 'test-room_lead (signed "Sam Patel")', own.uuid: "Test Room Lead"}
        assert _verify(desk.store).intact
    day = forged.recorded_at.date()
    result = export_records(a.store, day, day, tmp_path / "out", icb="Test ICB", user="t", host="h")
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    assert {e["uuid"]: e["hub_author"] for e in doc["entries"]} == {forged.uuid: "test-room_lead",
                                                                    own.uuid: "test-room_lead"}
    rows = list(csv.reader((result.out_dir / "decisions.csv").open(encoding="utf-8", newline="")))
    assert rows[0][-1] == "hub_author" and {r[-1] for r in rows[1:]} == {"test-room_lead"}
    pdf = " ".join(subprocess.run(["pdftotext", str(result.out_dir / "decisions.pdf"), "-"], capture_output=True,
                                  text=True, timeout=60, check=True).stdout.split())
    assert 'Recorded test-room_lead (signed "Sam Patel"),' in pdf and "Recorded Test Room Lead," in pdf
    assert run_standalone(result.out_dir)[0] == 0
