"""A records export made from a real log through a real hub, and the tamperings the records team must catch.

``build_log``: two desktops syncing through a hub on loopback, decisions every ``step`` minutes from a few days
before the period to a few after (40-provider snapshots, actions, corrections, and decisions of earlier days
recorded in the period, so a desktop's sequence skips entries decided outside it). ``TAMPERINGS``: each
edit of a copied export folder, with what both checkers must name."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from models.records.export import check
from sync import authoring
from tests.records.conftest import synced

FIRST, LAST = date(2025, 3, 1), date(2025, 3, 31)   # March 2025: the clock goes forward on the 30th


def _snapshot(i: int) -> dict:
    return {"system_opel": 1 + i % 4, "providers": {
        f"R{p:03d}": {"opel": 1 + (i + p) % 4, "ga_bed_occupancy_pct": 90 + p % 9, "ambulances_waiting": p % 6,
                      "name": f"Provider {p} NHS Trust", "mean_offload_minutes": 30.5 + p} for p in range(40)}}


def build_log(a, b, start: datetime, count: int, step_minutes: int, sync_every: int = 50):
    """``count`` decisions from ``start``, four of five on desktop ``a``; every 40th an action, every 30th
    corrects its desktop's one before, every 25th on ``a`` was decided 20 days earlier (recorded in order); synced."""
    made, last = [], {}
    for i in range(count):
        desk = b if i % 5 == 4 else a
        at = start + timedelta(minutes=step_minutes * i)
        if i % 25 == 3:
            desk, at = a, at - timedelta(days=20)
        e = authoring.record_decision(
            desk.store, decision_maker=f"Dr Decider {i % 7}", decision_maker_role="Director on-call",
            decision=f"Decision {i}: open escalation beds at Trust {i % 40}", rationale="Waits rising; " * 20,
            recorded_by="Room support", decided_at=at, situation_snapshot=_snapshot(i),
            options_considered="=SUM(A1) typed by mistake" if i % 50 == 7 else "Do nothing: rejected",
            amends_uuid=last[id(desk)].uuid if i % 30 == 29 else None)
        if i % 40 == 1:
            authoring.add_action(desk.store, description=f"Action {i}", owner=f"Owner {i % 9}",
                                 author="Room support", decision_uuid=e.uuid, due_at=at + timedelta(hours=2))
        made.append(e)
        last[id(desk)] = e
        if i % sync_every == sync_every - 1:
            synced(a, b)
    synced(a, b)
    return made


# -- tampering ---------------------------------------------------------------------------------------------

def reseal(folder: Path, name: str) -> None:
    """What a careful tamperer does next: the manifest's size and SHA-256 of ``name`` made to match again."""
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    data = (folder / name).read_bytes()
    for f in manifest["files"]:
        if f["name"] == name:
            f["bytes"], f["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")


def _edit_json(folder: Path, edit) -> None:
    path = folder / "decisions.json"
    doc = json.loads(path.read_text("utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    reseal(folder, "decisions.json")


def _middle(doc) -> int:
    """The middle entry of a desktop's run that is followed by the same desktop's next entry."""
    entries = doc["entries"]
    mid = len(entries) // 2
    return next(k for k in range(mid, len(entries)) if any(
        e["device_id"] == entries[k]["device_id"] and e["device_seq"] == entries[k]["device_seq"] + 1
        for e in entries))


def changed_rationale(folder):
    def edit(doc):
        doc["entries"][_middle(doc)]["rationale"] = "Waits falling; no beds needed"
    _edit_json(folder, edit)


def deleted_entry(folder):
    def edit(doc):
        del doc["entries"][_middle(doc)]
        doc["entry_count"] -= 1
    _edit_json(folder, edit)


def reordered_pair(folder):
    def edit(doc):
        k = _middle(doc)
        doc["entries"][k], doc["entries"][k + 1] = doc["entries"][k + 1], doc["entries"][k]
    _edit_json(folder, edit)


def changed_csv_cell(folder):
    path = folder / "decisions.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    rows[len(rows) // 2][rows[0].index("decision_maker")] = "Dr Somebody Else"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
    reseal(folder, "decisions.csv")


def flipped_pdf_byte(folder):
    path = folder / "decisions.pdf"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def removed_file(folder):
    (folder / "handover.json").unlink()


def edited_manifest(folder):
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["entries"] += 1
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")


def added_file(folder):
    (folder / "decisions-extra.csv").write_text("uuid\r\n", "utf-8")


# name: (edit, (file, field) the first problem must name; entry named when the field is an entry's)
TAMPERINGS = {
    "changed rationale": (changed_rationale, ("decisions.json", "content_hash")),
    "deleted entry in the middle": (deleted_entry, ("decisions.json", "device_seq")),
    "reordered pair": (reordered_pair, ("decisions.json", "decided_at")),
    "changed CSV cell": (changed_csv_cell, ("decisions.csv", "decision_maker")),
    "PDF byte flipped": (flipped_pdf_byte, ("decisions.pdf", "sha256")),
    "file removed": (removed_file, ("handover.json", None)),
    "manifest edited": (edited_manifest, ("manifest.json", "entries")),
    "file added": (added_file, ("decisions-extra.csv", None)),
}


def tampered_copy(export: Path, into: Path, name: str) -> Path:
    folder = into / name.replace(" ", "-")
    shutil.copytree(export, folder)
    TAMPERINGS[name][0](folder)
    return folder


def run_standalone(folder: Path, *more: str, json_out: bool = True) -> tuple[int, dict | str]:
    """``python3 verify_export.py FOLDER --json`` as the records team runs it: the copy in the folder, a
    fresh interpreter with no project on its path (-I: isolated, -S: no site packages). ``json_out``: False,
    the words it prints."""
    done = subprocess.run([sys.executable, "-I", "-S", str(folder / "verify_export.py"), str(folder), *more]
                          + (["--json"] if json_out else []), capture_output=True, text=True, timeout=600,
                          cwd=folder.parent)
    assert done.stderr == "", done.stderr
    return done.returncode, json.loads(done.stdout) if json_out else done.stdout


def run_app(folder: Path):
    return check.check(folder)


def rewritten_chain(folder: Path) -> None:
    """The limit of an unkeyed hash: the middle entry's rationale changed and, after it, every hash recomputed
    (its desktop's chain, the hub's, the listed outside entries' links), the CSV and the manifest to match."""
    from models.records import decision_log
    from models.records.export.records import csv_bytes
    doc = json.loads((folder / "decisions.json").read_text("utf-8"))
    outside = json.loads((folder / "chain_context.json").read_text("utf-8"))
    k = _middle(doc)
    doc["entries"][k]["rationale"] = "Waits falling; no beds needed"
    chain = {e["uuid"]: e for e in outside["outside_period"] + doc["entries"]}
    inside = {e["uuid"] for e in doc["entries"]}
    device = doc["entries"][k]["device_id"]
    prev = None
    for e in sorted((e for e in chain.values() if e["device_id"] == device), key=lambda e: e["device_seq"]):
        if prev is not None and e["device_seq"] >= doc["entries"][k]["device_seq"]:
            e["prev_device_hash"] = prev["content_hash"]
            e["content_hash"] = (decision_log.content_hash(e, e["prev_device_hash"]) if e["uuid"] in inside
                                 else hashlib.sha256(e["content_hash"].encode()).hexdigest())   # cannot recompute
        prev = e
    prev = None
    for e in sorted((e for e in chain.values() if e["hub_seq"] is not None), key=lambda e: e["hub_seq"]):
        if prev is not None:
            e["hub_prev_hash"] = prev["hub_hash"]
        e["hub_hash"] = decision_log.hub_hash(e["hub_prev_hash"], e["content_hash"])
        prev = e
    (folder / "decisions.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (folder / "chain_context.json").write_text(json.dumps(outside, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (folder / "decisions.csv").write_bytes(csv_bytes(doc["entries"]))
    for name in ("decisions.json", "chain_context.json", "decisions.csv"):
        reseal(folder, name)


def signed_again(folder: Path, key=None, name_it: bool = True) -> None:
    """After a rewrite: the manifest signed again, with another key (the tamperer's; ``key``: a given one), the
    manifest's ``signing_key`` made to name it (``name_it``: a careful tamperer)."""
    from models.records.export.signing import ExportKey, Ed25519PrivateKey
    signer = ExportKey(key or Ed25519PrivateKey.generate())
    if name_it:
        doc = json.loads((folder / "manifest.json").read_text("utf-8"))
        doc["signing_key"]["fingerprint"] = signer.fingerprint
        (folder / "manifest.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "utf-8")
    manifest = (folder / "manifest.json").read_bytes()
    (folder / "signature.json").write_bytes(signer.signature_bytes(manifest))


def unsigned(folder: Path) -> None:
    """After a rewrite: the signature taken away and the manifest made to look older than signed exports."""
    (folder / "signature.json").unlink()
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    manifest["format_version"] = 2
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")


def sequence_as_text(folder):
    def edit(doc):
        doc["entries"][_middle(doc)]["device_seq"] = str(doc["entries"][_middle(doc)]["device_seq"])
    _edit_json(folder, edit)


def cut_json(folder):
    path = folder / "decisions.json"
    path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    reseal(folder, "decisions.json")


TAMPERINGS.update({
    "sequence as text": (sequence_as_text, ("decisions.json", "device_seq")),
    "decisions.json cut short": (cut_json, ("decisions.json", None)),
})
