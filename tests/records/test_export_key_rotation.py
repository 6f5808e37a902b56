"""Replacing the export key (session 30): a planned handover the records team's checker follows, a key retired as
compromised that hands over to none, and what each checker says to a team that registered the old key.

Six weeks of a year's log (a decision every 3 hours from 19 February to 4 April 2025, as the year's log ends: two
desktops through a hub on loopback, 40 providers' figures in every snapshot) in real encrypted replicas: a key
change is about the keys, not the log's length.  The year's size is held elsewhere: a year's log (2,950) exported
in tests/records/test_export.py (``test_a_night_shifts_export_from_a_years_log_takes_that_shift_only``), a year
synced through a hub, exported and checked by both checkers in tests/records/test_export_verify.py (under ``-m
slow``; its module's March log of 290 runs in the suite).  March 2025 exported with key 1, again after a planned
change to key 2, and again after key 2 was retired as compromised for key 3. The standalone checker runs as the
records team runs it: the export's own ``verify_export.py`` in a fresh ``python3 -I -S``."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from models.records import verify as records_verify
from models.records.export import check, signing
from models.records.export.check import CHECKER
from models.records.export.records import export_records
from scc_desktop.cli import main
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.records.conftest import write_decisions
from tests.records.export_tamper import build_log, reseal, run_standalone, signed_again
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(600)   # the module's six weeks of decisions are built once: about 40 s on two cores

FIRST, LAST = date(2025, 3, 1), date(2025, 3, 31)
PLANNED = datetime(2025, 4, 2, 9, tzinfo=timezone.utc)      # key 1 hands over to key 2
LOST = datetime(2025, 5, 6, 14, 30, tzinfo=timezone.utc)    # key 2 retired as compromised for key 3 (BST)
# The year's last six weeks: March whole, with days either side (decisions recorded 20 days late reach back).
DECISIONS, FROM = 360, datetime(2025, 2, 19, 0, tzinfo=timezone.utc)


def _meta(store) -> dict[str, str]:
    with store.session() as s:
        return dict(s.execute(text("SELECT key, value FROM replica_meta")).all())


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The log's last six weeks (a decision every 3 hours: 360) and three exports of March."""
    folder = tmp_path_factory.mktemp("rotation")
    hub = start_hub(folder / "hub")
    stores = [fresh_replica(folder / n / "scc.db", PASSPHRASE, kdf=FAST_KDF) for n in "ab"]
    out = {"folder": folder}
    try:
        a, b = (SyncEngine(s, HubClient(hub.url, hub.tokens["room_lead"])) for s in stores)
        build_log(a, b, FROM, DECISIONS, 180)
        store = stores[0]

        def export(name, now):
            return export_records(store, FIRST, LAST, folder / name, icb="Test Shire ICB", now=now, user="tester",
                                  host="desk")
        out["e1"] = export("e1", PLANNED - timedelta(days=1))
        out["key1_private"] = _meta(store)[signing.KEY_ROW]   # as a copy of the replica made before would hold it
        out["planned"] = signing.rotate(store, "yearly change of key", now=PLANNED)
        out["e2"] = export("e2", PLANNED + timedelta(hours=1))
        out["key2_private"] = _meta(store)[signing.KEY_ROW]
        out["lost"] = signing.rotate(store, "laptop lost on a train", compromised=True, now=LOST)
        out["e3"] = export("e3", LOST + timedelta(hours=1))
        out["meta"] = _meta(store)
        with store.session() as s:
            out["log"] = records_verify.verify(s)
    finally:
        for s in stores:
            s.close()
        hub.stop()
    return out


def _fp(year, n):
    return year[f"e{n}"].key_fingerprint


def _words(folder, *more):
    return run_standalone(folder, *more, json_out=False)


def test_a_planned_change_hands_over_and_both_checkers_say_to_whom_and_when(year, capsys, monkeypatch):
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    e1, e2 = year["e1"].out_dir, year["e2"].out_dir
    k1, k2 = _fp(year, 1), _fp(year, 2)
    assert k1 != k2 and year["e2"].entries == year["e1"].entries > 200
    assert year["e2"].manifest["signing_key"]["number"] == 2
    assert year["e2"].manifest["signing_key"]["fingerprint"] == k2
    # The registered key 1 given for an export signed by key 2: whole, handed over, exit 3 (never 0).
    code, said = _words(e2, "--signed-by", k1)
    assert code == 3, said
    assert "export whole:" in said and "EXPORT NOT WHOLE" not in said and "SIGNED BY ANOTHER KEY" not in said
    assert (f"HANDED OVER: every file and chain checks, and the export is signed by the key {k2}, which the room's "
            f"key {k1} handed over to on Wed 2 Apr 2025 10:00 BST (reason: yearly change of key)") in said
    code, alone = run_standalone(e2, "--signed-by", k1[:32])
    app = check.check(e2, signed_by=k1[:32])
    assert (code, alone["problems"], app.problems) == (3, [], [])
    assert alone["handed_over"] == app.handed_over and [h["to_fingerprint"] for h in app.handed_over] == [k2]
    assert app.exit_code(app) == 3
    assert main(["export", "verify", str(e2), "--signed-by", k1]) == 3
    assert f"which the room's key {k1} handed over to on Wed 2 Apr 2025 10:00 BST" in capsys.readouterr().out
    # The new key given: 0. Old exports keep checking with the key that signed them.
    assert run_standalone(e2, "--signed-by", k2)[0] == 0
    assert run_standalone(e1, "--signed-by", k1)[0] == 0
    code, said = _words(e1, "--signed-by", k2)   # an export made before the change, checked with the new key
    assert code == 1 and said.startswith("SIGNED BY ANOTHER KEY") and k1 in said
    # Without a key given, as before: whole, exit 0, and the history is listed in the signed manifest.
    assert run_standalone(e2)[0] == 0
    history = json.loads((e2 / "key_history.json").read_text("ascii"))
    assert [(k["number"], k["fingerprint"], k["retired_how"]) for k in history["keys"]] == [
        (1, k1, "handed over"), (2, k2, None)]
    assert history["keys"][0]["made_at"] is not None and history["keys"][0]["retired_at_uk"] == \
        "Wed 2 Apr 2025 10:00 BST"
    assert len(history["handovers"]) == 1


def test_a_key_retired_as_compromised_hands_over_to_none(year):
    e3 = year["e3"].out_dir
    k1, k2, k3 = _fp(year, 1), _fp(year, 2), _fp(year, 3)
    assert year["lost"].handover is None and year["lost"].old.retired_how == "compromised"
    history = json.loads((e3 / "key_history.json").read_text("ascii"))
    assert [k["retired_how"] for k in history["keys"]] == ["handed over", "compromised", None]
    assert len(history["handovers"]) == 1   # key 1's to key 2 only
    code, said = _words(e3, "--signed-by", k2)
    assert code == 1 and said.startswith("SIGNED BY ANOTHER KEY: every file and chain checks")
    assert (f"this export's key history says the room retired that key on Tue 6 May 2025 15:30 BST as compromised "
            f"(reason: laptop lost on a train): a compromised key hands over to no other, so the room tells you "
            f"its new key itself (by phone or letter, not in an export)") in said
    code, said = _words(e3, "--signed-by", k1)   # key 1 handed over to key 2, which was then lost
    assert code == 1 and f"retired the key {k2} it handed over to on Tue 6 May 2025 15:30 BST as compromised" in said
    code, alone = run_standalone(e3, "--signed-by", k1)
    assert alone["problems"] == check.check(e3, signed_by=k1).problems and alone["handed_over"] is None
    assert run_standalone(e3, "--signed-by", k3)[0] == 0


def test_the_old_private_halves_are_gone_and_the_decision_log_is_untouched(year):
    meta = year["meta"]
    k3 = _fp(year, 3)
    assert signing.ExportKey(signing.Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(meta[signing.KEY_ROW]))).fingerprint == k3
    for old in (year["key1_private"], year["key2_private"]):
        assert all(old not in value for value in meta.values())
    stored = json.loads(meta[signing.HISTORY_ROW])
    assert [k["fingerprint"] for k in stored["keys"]] == [_fp(year, 1), _fp(year, 2), k3]
    assert set(stored["keys"][0]) == {"number", "fingerprint", "public_key", "made_at", "retired_at",
                                      "retired_how", "reason"}
    assert year["log"].intact and year["log"].entries == DECISIONS
    # Each export's chain checks whole under every key, only the signature differs.
    for n in (1, 2, 3):
        app = check.check(year[f"e{n}"].out_dir)
        assert app.problems == [] and app.counts["entries"] == year["e1"].entries


def _forged_history(folder, handover):
    """key_history.json with ``handover`` added, resealed in the manifest."""
    path = folder / "key_history.json"
    doc = json.loads(path.read_text("ascii"))
    doc["handovers"].append(handover)
    path.write_text(json.dumps(doc, indent=2) + "\n", "ascii")
    reseal(folder, "key_history.json")


def test_a_handover_not_signed_by_the_old_key_proves_nothing(year, tmp_path):
    """A tamperer with a key of their own writes 'key 2 handed over to mine' and signs the export with theirs."""
    k2 = _fp(year, 2)
    thief = signing.ExportKey(signing.Ed25519PrivateKey.generate())
    pretend = signing.ExportKey(signing.Ed25519PrivateKey.generate())   # the thief's stand-in for key 2
    forged = signing.handover_statement(pretend, thief, LOST, "routine")
    said = json.loads(forged["statement"])
    said["from_fingerprint"], said["from_public_key"] = k2, json.loads(
        (year["e2"].out_dir / "signature.json").read_text("ascii"))["public_key"]
    statement = json.dumps(said, sort_keys=True)
    cases = {
        "signed by another key": {"statement": statement, "signature": pretend.private.sign(statement.encode())
                                  .hex()},
        "statement edited after signing": dict(forged, statement=forged["statement"].replace("routine", "yearly")),
    }
    for name, handover in cases.items():
        folder = tmp_path / name.replace(" ", "_")
        shutil.copytree(year["e3"].out_dir, folder)
        _forged_history(folder, handover)
        signed_again(folder, thief.private)
        code, alone = run_standalone(folder, "--signed-by", k2)
        app = check.check(folder, signed_by=k2)
        assert code == 1 and alone["problems"] == app.problems and alone["handed_over"] is None, name
        assert ("key_history.json", "handovers") in [(p["file"], p["field"]) for p in app.problems], name
        assert ("signature.json", "public_key") in [(p["file"], p["field"]) for p in app.problems], name


def test_a_stolen_key_can_sign_a_handover_so_a_compromise_is_told_out_of_band(year, tmp_path):
    """Why a compromised key is retired without a statement, and its replacement registered by phone or letter: the
    thief holding key 2 (an old copy of the replica) signs 'key 2 hands over to mine', which checks. A records team
    that was told of key 3 checks with key 3, and the thief's export fails."""
    stolen = signing.ExportKey(signing.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(year["key2_private"])))
    thief = signing.ExportKey(signing.Ed25519PrivateKey.generate())
    folder = tmp_path / "thief"
    shutil.copytree(year["e3"].out_dir, folder)
    _forged_history(folder, signing.handover_statement(stolen, thief, LOST + timedelta(days=1), "routine"))
    signed_again(folder, thief.private)
    assert run_standalone(folder, "--signed-by", _fp(year, 2))[0] == 3   # the limit a signature cannot pass
    code, said = _words(folder, "--signed-by", _fp(year, 3))
    assert code == 1 and said.startswith("SIGNED BY ANOTHER KEY") and thief.fingerprint in said


def test_a_manifest_naming_another_signer_than_the_signature_is_a_problem(year, tmp_path):
    folder = tmp_path / "renamed"
    shutil.copytree(year["e2"].out_dir, folder)
    signed_again(folder, name_it=False)   # signed again, the manifest still naming key 2
    code, alone = run_standalone(folder)
    assert code == 1 and [(p["file"], p["field"]) for p in alone["problems"]] == [("manifest.json", "signing_key")]
    assert alone["problems"] == check.check(folder).problems


def test_export_key_replaces_the_key_and_lists_every_key_with_its_dates(store, store_path, tmp_path, cli_env, capsys):
    write_decisions(store, 40, start=datetime(2025, 3, 30, 0, 30, tzinfo=timezone.utc))
    base = ["export", "key", "--path", str(store_path)]
    assert main(base) == 0
    said = capsys.readouterr().out
    k1 = said.split("Export key fingerprint (SHA-256 of the Ed25519 public key): ")[1].split()[0]
    assert f"key 1 {k1}: made " in said and "signs exports now" in said
    for wrong, words in ((["--new"], "--reason: say why"), (["--new", "--reason", "  "], "--reason: say why"),
                         (["--reason", "x"], "--reason: only with --new"),
                         (["--compromised"], "--compromised: only with --new")):
        assert main(base + wrong) == 2, wrong
        assert words in capsys.readouterr().err, wrong
    assert main(base + ["--new", "--reason", "yearly change"]) == 0
    said = capsys.readouterr().out
    k2 = said.split("Export key fingerprint (SHA-256 of the Ed25519 public key): ")[1].split()[0]
    assert f"Export key 1 ({k1}) retired" in said and "Planned change: key 1 signed a handover naming key 2" in said
    assert f"key 1 {k1}: made " in said and ", handed over to key 2: yearly change" in said
    assert f"key 2 {k2}: made " in said
    out = tmp_path / "after"
    assert main(["export", "records", "--from", "2025-03-30", "--to", "2025-03-31", "--out", str(out), "--path",
                 str(store_path), "--icb", "Test Shire ICB"]) == 0
    assert f"Signed with this desktop's export key {k2}." in capsys.readouterr().out
    assert main(["export", "verify", str(out), "--signed-by", k1, "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["whole"] is True and doc["handed_over"][0]["to_fingerprint"] == k2
    pdf = subprocess.run(["pdftotext", "-l", "1", str(out / "decisions.pdf"), "-"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert f"export key 2, fingerprint {signing.spaced(k2, 16)}" in " ".join(pdf.split())
    assert main(base + ["--new", "--reason", "second change"]) == 0   # two planned changes: followed in a line
    k3 = capsys.readouterr().out.split("Export key fingerprint (SHA-256 of the Ed25519 public key): ")[1].split()[0]
    out = tmp_path / "after2"
    assert main(["export", "records", "--from", "2025-03-30", "--to", "2025-03-31", "--out", str(out), "--path",
                 str(store_path), "--icb", "Test Shire ICB"]) == 0
    capsys.readouterr()
    assert main(["export", "verify", str(out), "--signed-by", k1]) == 3
    said = " ".join(capsys.readouterr().out.split())
    assert (f"signed by the key {k3}, which the room's key {k2} handed over to on ") in said
    assert f"(reason: second change), which the room's key {k1} handed over to on " in said
    assert main(base + ["--new", "--compromised", "--reason", "laptop lost"]) == 0
    said = capsys.readouterr().out
    assert "Compromised: no handover was signed with key 3" in said and "by phone or letter" in said
    assert "as compromised (no handover): laptop lost" in said and "key 4 " in said


def test_a_key_changed_outside_the_app_is_replaced_only_as_compromised(store, store_path, tmp_path, cli_env, capsys):
    signing.export_key(store)
    with store.raw() as conn:
        conn.execute("UPDATE replica_meta SET value = 'not a key' WHERE key = 'export_signing_key'")
    store.close()
    base = ["export", "key", "--path", str(store_path)]
    assert main(base + ["--new", "--reason", "planned"]) == 1
    assert "A planned change needs the old key to sign its handover" in capsys.readouterr().err
    assert main(base + ["--new", "--compromised", "--reason", "row edited"]) == 0
    said = capsys.readouterr().out
    assert "as compromised (no handover): row edited" in said and "key 2 " in said


def test_the_standalone_checker_stays_one_standard_library_file_for_python_3_7():
    source = CHECKER.read_text("utf-8")
    tree = ast.parse(source, feature_version=(3, 7))   # no syntax of a later Python (walrus, / parameters ...)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported and imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    for later in (".removeprefix(", ".removesuffix(", "math.prod", "cached_property", "zoneinfo",
                  "functools.cache(", "str | None"):
        assert later not in source, later
    assert hashlib.sha256(source.encode("utf-8")).hexdigest()   # one file: what 'export key' prints the hash of
