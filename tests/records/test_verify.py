"""``records verify`` over a real encrypted replica: intact, tampered, gaps, amendments."""

from __future__ import annotations

import os
import subprocess
import sys

from models.records import verify as records_verify
from scc_desktop import cli
from sync import authoring
from tests.records.conftest import PASSPHRASE, write_decisions


def _verify(store):
    with store.session() as s:
        return records_verify.verify(s)


def _sql(store, statement, *params, foreign_keys=True):
    with store.raw() as conn:
        if not foreign_keys:
            conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(statement, params)
        if not foreign_keys:
            conn.execute("PRAGMA foreign_keys = ON")


def test_an_intact_log_passes_with_its_chain_head(store):
    entries = write_decisions(store, 4)
    authoring.record_decision(store, decision_maker="Dr Decider 0", decision_maker_role="Director on-call",
                              decision="Correction: beds at Trust Two", rationale="Wrong trust named",
                              recorded_by="Room support", amends_uuid=entries[0].uuid)
    report = _verify(store)
    assert report.intact, [p.sentence() for p in report.problems]
    assert report.entries == 5 and report.not_at_hub == 5 and report.hub_head is None
    (head,) = report.device_heads
    assert (head.seq, head.entries) == (5, 5)


def test_one_byte_changed_through_sql_is_detected_and_named(store):
    entries = write_decisions(store, 4)
    target = entries[2]
    # One character of the stored decision text: "Trust One" -> "Trust Ono".
    _sql(store, "UPDATE decision_entry SET decision = replace(decision, 'One', 'Ono') WHERE uuid = ?", target.uuid)
    report = _verify(store)
    assert not report.intact
    first = report.first_problem
    assert (first.uuid, first.device_seq, first.check) == (target.uuid, 3, "content")
    assert "changed after it was written" in first.reason
    assert len(report.problems) == 1  # the chains themselves still link


def test_an_edited_timestamp_is_detected_even_in_another_spelling_of_the_same_instant(store):
    entries = write_decisions(store, 2)
    _sql(store, "UPDATE decision_entry SET decided_at = replace(decided_at, '+00:00', 'Z') WHERE uuid = ?",
         entries[1].uuid)
    first = _verify(store).first_problem
    assert first.uuid == entries[1].uuid and "stored UTC form" in first.reason


def test_a_rehashed_forgery_breaks_the_next_link(store):
    entries = write_decisions(store, 3)
    # A forger who also recomputes the content hash of the entry they changed...
    with store.session() as s, s.begin():
        e = s.get(type(entries[1]), entries[1].uuid)
        e.decision = "Forged decision"
        fields = {f: getattr(e, f) for f in records_verify.decision_log.HASHED_FIELDS}
        e.content_hash = records_verify.decision_log.content_hash(fields, e.prev_device_hash)
    report = _verify(store)
    # ...is caught by the next entry, which still links to the original hash.
    assert [(p.uuid, p.check) for p in report.problems] == [(entries[2].uuid, "device_chain")]
    assert "device_seq 2" in report.first_problem.reason


def test_a_removed_entry_is_a_gap_in_its_device_chain(store):
    entries = write_decisions(store, 4)
    # Removed with its outbox row too, so only the chain can tell.
    _sql(store, "DELETE FROM decision_entry WHERE uuid = ?", entries[1].uuid)
    _sql(store, "DELETE FROM outbox WHERE uuid = ?", entries[1].uuid)
    report = _verify(store)
    first = report.first_problem
    assert (first.uuid, first.check) == (entries[2].uuid, "device_chain")
    assert "device_seq 2 of this device is missing" in first.reason


def test_removing_the_newest_entry_this_desktop_wrote_is_detected(store):
    entries = write_decisions(store, 3)
    _sql(store, "DELETE FROM decision_entry WHERE uuid = ?", entries[2].uuid)
    first = _verify(store).first_problem
    assert (first.uuid, first.device_seq, first.check) == (entries[2].uuid, 3, "removed")


def test_an_amendment_whose_original_was_removed_is_reported(store):
    (original,) = write_decisions(store, 1)
    amendment = authoring.record_decision(
        store, decision_maker="A", decision_maker_role="Room lead", decision="Correction", rationale="typo",
        recorded_by="A", amends_uuid=original.uuid)
    _sql(store, "DELETE FROM decision_entry WHERE uuid = ?", original.uuid, foreign_keys=False)
    problems = {(p.uuid, p.check) for p in _verify(store).problems}
    assert (amendment.uuid, "amendment") in problems
    assert (amendment.uuid, "device_chain") in problems


def test_cli_verify_exit_codes(store, store_path, cli_env, capsys):
    entries = write_decisions(store, 3)
    assert cli.main(["records", "verify", "--path", str(store_path)]) == 0
    assert "intact: 3 entries" in capsys.readouterr().out
    _sql(store, "UPDATE decision_entry SET rationale = rationale || ' ' WHERE uuid = ?", entries[0].uuid)
    assert cli.main(["records", "verify", "--path", str(store_path)]) == 1
    err = capsys.readouterr().err
    assert f"BROKEN at entry {entries[0].uuid}" in err and "device_seq 1" in err


def test_verify_as_a_separate_process_names_the_tampered_entry(store, store_path, tmp_path):
    entries = write_decisions(store, 2)
    _sql(store, "UPDATE decision_entry SET decision_maker = 'Someone else' WHERE uuid = ?", entries[1].uuid)
    store.close()
    env = {**os.environ, "SCC_PASSPHRASE": PASSPHRASE, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run([sys.executable, "-m", "scc_desktop", "records", "verify", "--path", str(store_path)],
                          env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert entries[1].uuid in done.stderr and "Traceback" not in done.stderr
