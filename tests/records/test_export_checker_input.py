"""Whatever an export folder holds, both checkers name a problem; neither stops with a traceback.

Review r1, session 29: the standalone checker (and the app's, the same code) crashed on an entry inserted with
a ``device_seq`` its desktop's chain already had (IndexError), on a manifest whose ``files`` named a file by a
number or whose ``chain`` was not an object, on ``amended_by``/``amends_uuid`` of the wrong kind (TypeError),
and on JSON nested deeper than Python's recursion limit in any of its four JSON files (RecursionError)."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import date, datetime, timezone

import pytest

from models.records.export import check
from models.records.export.records import export_records
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.records.export_tamper import _edit_json, reseal, run_standalone, signed_again
from tests.support.replica import fresh_replica

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A month of one desktop's log, with a correction (amends_uuid, amended_by), exported."""
    root = tmp_path_factory.mktemp("checker_input")
    store = fresh_replica(root / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        last = None
        for i in range(12):
            last = authoring.record_decision(
                store, decision_maker="Dr Decider", decision_maker_role="Director on-call", decision=f"Decision {i}",
                rationale="Waits rising", recorded_by="Room support", situation_snapshot={"system_opel": 2},
                decided_at=datetime(2025, 3, 2 + i, 9, tzinfo=timezone.utc),
                amends_uuid=last.uuid if i == 6 else None)
        export_records(store, date(2025, 3, 1), date(2025, 3, 31), root / "export", icb="Test ICB",
                       now=datetime(2025, 4, 2, 9, tzinfo=timezone.utc), user="tester", host="desk")
    finally:
        store.close()
    return root / "export"


def _manifest(folder, edit):
    path = folder / "manifest.json"
    doc = json.loads(path.read_text("utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")


def _inserted(folder):
    """An entry inserted after the fifth with the fifth's place in its desktop's chain (a new uuid)."""
    def edit(doc):
        copy = dict(doc["entries"][4], uuid=str(uuid.uuid4()))
        doc["entries"].insert(5, copy)
        doc["entry_count"] += 1
    _edit_json(folder, edit)


def _entry_field(name, value):
    def tamper(folder):
        _edit_json(folder, lambda doc: doc["entries"][7].__setitem__(name, value))
    return tamper


def _deep(name):
    def tamper(folder):
        (folder / name).write_text(DEEP if name != "decisions.json" else '{"format": ' + DEEP + ', "entries": []}',
                                   "utf-8")
        if name not in ("signature.json", "manifest.json"):   # listed in the manifest: its hash made to match
            reseal(folder, name)
    return tamper


CASES = {
    "entry inserted with a device_seq already held": (_inserted, ("decisions.json", "device_seq")),
    "manifest files name a file by a number": (
        lambda f: _manifest(f, lambda m: m["files"][0].__setitem__("name", 7)), ("manifest.json", None)),
    "manifest chain not an object": (lambda f: _manifest(f, lambda m: m.__setitem__("chain", "x")),
                                     ("manifest.json", "chain")),
    "manifest device head not an object": (
        lambda f: _manifest(f, lambda m: m["chain"].__setitem__("device_heads", [None])),
        ("manifest.json", "chain.device_heads")),
    "manifest device head's id a list": (
        lambda f: _manifest(f, lambda m: m["chain"]["device_heads"][0].__setitem__("device_id", [])),
        ("manifest.json", "chain.device_heads")),
    "amended_by a number": (_entry_field("amended_by", 1), ("decisions.json", "amended_by")),
    "amends_uuid a list": (_entry_field("amends_uuid", ["x"]), ("decisions.json", "amends_uuid")),
    "amends_reference a number": (_entry_field("amends_reference", 3), ("decisions.json", "amends_reference")),
    "signature.json nested too deep": (_deep("signature.json"), ("signature.json", None)),
    "manifest.json nested too deep": (_deep("manifest.json"), ("manifest.json", None)),
    "decisions.json nested too deep": (_deep("decisions.json"), ("decisions.json", None)),
    "chain_context.json nested too deep": (_deep("chain_context.json"), ("chain_context.json", None)),
}


def test_the_export_is_whole_before_any_edit(export):
    assert check.check(export).problems == []
    code, alone = run_standalone(export)
    assert (code, alone["problems"]) == (0, [])


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_export_is_named_by_both_checkers_never_a_traceback(export, tmp_path, name):
    tamper, expected = CASES[name]
    folder = tmp_path / "tampered"
    shutil.copytree(export, folder)
    tamper(folder)
    app = check.check(folder)
    assert expected in [(p["file"], p["field"]) for p in app.problems], app.problems
    code, alone = run_standalone(folder)   # asserts nothing on stderr: no traceback
    assert code == 1 and alone["problems"] == app.problems


@pytest.mark.parametrize("more, code", [(("--signed-by",), 2), (("--filed-sha256",), 2),
                                        (("--signed-by=" + "0123456789abcdef" * 2,), 1), (("0123456789abcdef" * 2,), 2),
                                        (("--signed-by", "0123456789abcdef" * 2, "--signed-by", "00" * 16), 2)])
def test_the_standalone_checker_never_drops_a_check_it_was_asked_for(export, more, code):
    """`verify_export.py FOLDER --signed-by $FP` with $FP empty (an unquoted unset variable) ran no key check and
    exited 0, as did a fingerprint given without its option or as --signed-by=...: now bad input (exit 2), or, for
    --signed-by=FP, the key compared (another key: exit 1)."""
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-I", "-S", str(export / "verify_export.py"), str(export), *more],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "export whole" not in done.stdout and "Traceback" not in done.stderr
    if code == 1:
        assert done.stdout.startswith("SIGNED BY ANOTHER KEY")


def test_both_checkers_refuse_a_public_key_not_in_its_one_encoding():
    """OpenSSL took a key written as y + p, or x = 0 with the sign bit set (each another spelling of a point of
    small order, for which 'R = the identity, S = 0' verifies), where the standalone checker, as RFC 8032 says,
    refused it: one export, two verdicts. Keys made of the identity in its own encoding pass both (a key of small
    order signs any manifest: only --signed-by tells it is nobody's registered key)."""
    from models.records.export.signing import verify
    alone = check.standalone()
    p = 2 ** 255 - 19
    identity = (1).to_bytes(32, "little")
    signature = identity + bytes(32)
    for y in (1 | 1 << 255, (p - 1) | 1 << 255, p, p + 1, (p + 1) | 1 << 255, p + 18, 2 ** 255 - 1):
        public = y.to_bytes(32, "little")
        for message in (b"", b"m", b"manifest", b"x" * 100):
            assert alone.ed25519_verify(public, signature, message) is False, hex(y)
            assert verify(public, signature, message) is False, hex(y)
    assert alone.ed25519_verify(identity, signature, b"m") and verify(identity, signature, b"m")
    order_two = (p - 1).to_bytes(32, "little")   # in its own encoding: the two agree, whichever way
    for message in (b"", b"m", b"manifest", b"x" * 100):
        assert alone.ed25519_verify(order_two, signature, message) == verify(order_two, signature, message)


def _history(edit):
    """key_history.json edited (``edit`` returns its new text, given the parsed document), resealed."""
    def tamper(folder):
        path = folder / "key_history.json"
        path.write_text(edit(json.loads(path.read_text("ascii"))), "utf-8")
        reseal(folder, "key_history.json")
        signed_again(folder)   # a signature that checks, so the key given is compared and the history read
    return tamper


def _handover(value):
    return _history(lambda doc: json.dumps(dict(doc, handovers=[value])))


def _statement(**fields):
    said = {"from_fingerprint": "ab" * 32, "from_public_key": "ab" * 32, "to_fingerprint": "cd" * 32,
            "to_public_key": "cd" * 32}
    said.update(fields)
    return _handover({"statement": json.dumps(said), "signature": "00" * 64})


HISTORY_CASES = {
    "not JSON": (_history(lambda doc: "{"), None),
    "nested too deep": (_history(lambda doc: DEEP), None),
    "a list": (_history(lambda doc: "[]"), None),
    "handovers not a list": (_history(lambda doc: json.dumps(dict(doc, handovers="x"))), None),
    "a handover a number": (_handover(7), "handovers"),
    "a statement a number": (_handover({"statement": 7, "signature": "00"}), "handovers"),
    "a statement a list": (_handover({"statement": "[]", "signature": "00"}), "handovers"),
    "a public key not hex": (_statement(from_public_key="zz"), "handovers"),
    "a fingerprint a number": (_statement(from_fingerprint=7), "handovers"),
    "a signature that is not the old key's": (_statement(), "handovers"),
}


@pytest.mark.parametrize("name", list(HISTORY_CASES))
def test_a_malformed_key_history_is_named_by_both_checkers_never_a_traceback(export, tmp_path, name):
    """key_history.json is read when the key given is not the one that signed (to follow a handover): whatever it
    holds, a problem named in it, exit 1, never a handover followed or a traceback."""
    tamper, field = HISTORY_CASES[name]
    folder = tmp_path / "history"
    shutil.copytree(export, folder)
    tamper(folder)
    given = "ab" * 32
    app = check.check(folder, signed_by=given)
    assert ("key_history.json", field) in [(p["file"], p["field"]) for p in app.problems], app.problems
    assert app.handed_over is None
    code, alone = run_standalone(folder, "--signed-by", given)
    assert code == 1 and alone["problems"] == app.problems and alone["handed_over"] is None
