"""Exporting the decision log of a period: ``decisions.csv``, ``decisions.json``, a PDF, ``manifest.json``.

The CSV and JSON hold only what the log holds (no export time, no machine
name), entries ordered by decision time then UUID, times as fixed-width UTC
text plus UK local time with its offset, nested values as canonical JSON
(sorted keys): exporting the same period of the same log again gives the same
bytes.  What changes between exports (when, who, which machine, the PDF)
lives in the manifest, which also holds the SHA-256 of every file, the
hash-chain heads and the verification result, and the retention class.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import socket
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select

import resources
from models import owner_only
from models.records import action_reassign, action_withdraw, reached_hub
from models.records import verify as records_verify
from models.author import current_author
from models.records.csv_guard import spreadsheet_cell
from models.replica.orm import Action, DecisionEntry, ReplicaMeta
from models.replica.orm.types import to_utc_text, utcnow
from models.version import VERSION
from models.records.export import chain_context
from models.records.export import handover as handover_section
from models.records.export import link_refs
from models.records.export import signing
from models.records.export import snapshot as snapshot_reading
from models.uk_time import Period, iso_uk, uk_period_between

FORMAT = "scc-decision-log-export"
FORMAT_VERSION = 11  # 2: situation_summary (the snapshot as lines in UK time); 3: link_references; 4: phoned_in;
#                     5: amends_reference, amended_by_references (CSV columns after amends_uuid and amended_by);
#                     6: hub_received_at (when the hub took the entry; null when not at the hub or not kept then);
#                     7: each action's reassigned (every entry that gave it to another owner: to, at, by, decision)
#                     8: each action's withdrawn (every entry that withdrew it: at, by, role, reason, decision)
#                     9: device_sent_at (the recording desktop's clock when it sent the entry; null: not kept) and
#                        late_minutes (how long after recording it reached the hub, over 15 min; null otherwise)
#                    10: hub_author (the user of the token that pushed it, as the hub stamped it; null: not at the
#                        hub, or synced before it was kept), last CSV column: outside the content hash
#                    11: a period given to the minute (a shift) also holds from_uk and to_uk_exclusive (UK time with
#                        its offset; whole dates as before); snapshots may hold their feed part and offload as_at
MANIFEST_VERSION = 4  # 2: the export also holds chain_context.json, verify_export.py and README.txt (session 25)
#                       3: signature.json beside it, the manifest's Ed25519 signature with this desktop's export key
#                       4: key_history.json (every key the room has signed with, and the old keys' handovers) and
#                          signing_key (the key that signs this manifest: number, fingerprint, made_at) (session 30)
CSV_NAME, JSON_NAME, PDF_NAME, MANIFEST_NAME = "decisions.csv", "decisions.json", "decisions.pdf", "manifest.json"
CONTEXT_NAME, CHECKER_NAME, README_NAME = "chain_context.json", "verify_export.py", "README.txt"
CSV_COLUMNS = (
    "uuid", "decided_at", "decided_at_uk", "decision_maker", "decision_maker_role", "decision",
    "rationale", "options_considered", "information_available", "situation_snapshot", "situation_summary",
    "phoned_in", "actions", "review_at", "review_at_uk", "recorded_by", "recorded_at", "amends_uuid",
    "amends_reference", "amended_by", "amended_by_references", "links", "link_references", "device_id", "device_seq", "content_hash", "prev_device_hash", "hub_seq", "hub_prev_hash", "hub_hash",
    "hub_received_at", "device_sent_at", "late_minutes", "hub_author")


class ExportError(Exception):
    """The export cannot be written; the message says why and what to do."""


class RetentionError(ExportError):
    """The retention file given cannot be used (bad input: the message names the file and field)."""


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _sorted(value: Any) -> Any:
    """The same value with every object's keys sorted (stable bytes whatever the author's order)."""
    return json.loads(canonical_json(value))


def _time(value: datetime | None) -> str | None:
    return to_utc_text(value) if value is not None else None


def _action(a: Action, moved: dict[str, list[action_reassign.Reassignment]],
            pulled: dict[str, list[action_withdraw.Withdrawal]]) -> dict[str, Any]:
    """An action as exported; ``reassigned``: each entry that gave it to another owner, in decision order
    (two: a clash, two desktops that each reassigned it unseen), empty when none did; ``withdrawn``: each
    entry that withdrew it (given in error or made moot), in decision order, empty when none did."""
    return {"uuid": a.uuid, "description": a.description, "owner": a.owner, "due_at": _time(a.due_at),
            "done_at": _time(a.done_at), "done_by": a.done_by,
            "reassigned": [r.as_dict() for r in moved.get(a.uuid, [])],
            "withdrawn": [w.as_dict() for w in pulled.get(a.uuid, [])]}


def _entry_fields(e: DecisionEntry, acts: list[Action], amended: list[tuple[str, str]], refs: list[str],
                  amend_refs: dict[str, str],
                  moved: dict[str, list[action_reassign.Reassignment]] | None = None,
                  pulled: dict[str, list[action_withdraw.Withdrawal]] | None = None) -> dict[str, Any]:
    acts = sorted(acts, key=lambda a: (_time(a.due_at) or "", a.description, a.uuid))
    amended = sorted(amended)
    return {
        "uuid": e.uuid, "decided_at": _time(e.decided_at), "decided_at_uk": iso_uk(e.decided_at),
        "decision_maker": e.decision_maker, "decision_maker_role": e.decision_maker_role,
        "decision": e.decision, "rationale": e.rationale, "options_considered": e.options_considered,
        "information_available": e.information_available,
        "situation_snapshot": _sorted(e.situation_snapshot or {}),
        "situation_summary": snapshot_reading.summary(e.situation_snapshot),
        "phoned_in": snapshot_reading.phoned_lines(e.situation_snapshot),
        "actions": [_action(a, moved or {}, pulled or {}) for a in acts],
        "review_at": _time(e.review_at), "review_at_uk": iso_uk(e.review_at) if e.review_at else None,
        "recorded_by": e.recorded_by, "recorded_at": _time(e.recorded_at), "amends_uuid": e.amends_uuid,
        "amends_reference": amend_refs.get(e.amends_uuid) if e.amends_uuid else None,
        "amended_by": [uid for _, uid in amended],
        "amended_by_references": [amend_refs[uid] for _, uid in amended],
        "links": _sorted(e.links or []),
        "link_references": refs,
        "device_id": e.device_id, "device_seq": e.device_seq, "content_hash": e.content_hash,
        "prev_device_hash": e.prev_device_hash, "hub_seq": e.hub_seq,
        "hub_prev_hash": e.hub_prev_hash, "hub_hash": e.hub_hash, "hub_received_at": _time(e.hub_received_at),
        "device_sent_at": _time(e.device_sent_at), "late_minutes": _late_minutes(e), "hub_author": e.hub_author}


def _late_minutes(e: DecisionEntry) -> float | None:
    """Minutes from recording to the hub when over 15: on the desktop's clock when it sent its time, else
    the hub's receipt against the desktop's recording time (two clocks; device_sent_at is then null)."""
    late = reached_hub.late_by(e.recorded_at, e.hub_received_at, e.device_sent_at)
    return None if late is None else round(late.total_seconds() / 60, 1)


CHUNK = 10   # entries read from the replica at a time: an export holds ~10 parsed snapshots, not a year's 3,000


class PeriodEntries:
    """The entries decided inside ``period``, in export order (decision time, then UUID), read from the
    replica ``CHUNK`` at a time as they are iterated: only their identifiers are held throughout.

    ``uuids`` and ``numbers`` (entry number from 1) are known before the first entry is read, so a writer
    can say how many entries follow and the PDF can refer to an entry later in the period."""

    def __init__(self, session, period: Period, chunk: int = CHUNK) -> None:
        self.session, self.chunk = session, chunk
        rows = session.execute(select(DecisionEntry.decided_at, DecisionEntry.uuid).where(
            DecisionEntry.decided_at >= period.utc_start, DecisionEntry.decided_at < period.utc_end)).all()
        self.uuids = [uid for _t, uid in sorted((to_utc_text(at), uid) for at, uid in rows)]
        self.numbers = {uid: n for n, uid in enumerate(self.uuids, start=1)}

    def __len__(self) -> int:
        return len(self.uuids)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        s, names = self.session, {}
        moved, pulled = action_reassign.reassignments(s), action_withdraw.withdrawals(s)
        for start in range(0, len(self.uuids), self.chunk):
            uuids = self.uuids[start:start + self.chunk]
            loaded = {e.uuid: e for e in s.scalars(select(DecisionEntry).where(DecisionEntry.uuid.in_(uuids)))}
            if len(loaded) != len(uuids):
                gone = next(uid for uid in uuids if uid not in loaded)
                raise ExportError(f"decision {gone} left the log during the export; export again")
            amended_by: dict[str, list[tuple[str, str]]] = {}
            for uid, target, recorded in s.execute(select(
                    DecisionEntry.uuid, DecisionEntry.amends_uuid, DecisionEntry.recorded_at)
                    .where(DecisionEntry.amends_uuid.in_(uuids))):
                amended_by.setdefault(target, []).append((to_utc_text(recorded), uid))
            actions: dict[str, list[Action]] = {}
            for a in s.scalars(select(Action).where(Action.decision_uuid.in_(uuids))):
                actions.setdefault(a.decision_uuid, []).append(a)
            entries = [loaded[uid] for uid in uuids]
            del loaded
            refs = link_refs.references(s, uuids, {e.uuid: _sorted(e.links or []) for e in entries},
                                        numbers=self.numbers, names=names)
            # A correction and its original may fall in different periods: each says what the other was
            # (when, by whom, its words), not only its identifier (found by a records review: 11 of 12
            # monthly exports had a correction whose original was only "outside this period").
            amend_refs = {uid: link_refs.decision(s, uid, self.numbers) for e in entries
                          for uid in [e.amends_uuid, *(u for _r, u in amended_by.get(e.uuid, []))] if uid}
            while entries:
                e = entries.pop(0)   # let each ORM entry (and its parsed snapshot) go once it is written
                yield _entry_fields(e, actions.get(e.uuid, []), amended_by.get(e.uuid, []), refs[e.uuid],
                                    amend_refs, moved, pulled)


def collect(session, period: Period) -> list[dict[str, Any]]:
    """The entries decided inside ``period``, each as an ordered dict of export fields (all at once: an
    export streams them with :class:`PeriodEntries`)."""
    return list(PeriodEntries(session, period))


def csv_cell(value: Any) -> str:
    """One value of ``decisions.json`` as its ``decisions.csv`` cell (``export verify`` compares them)."""
    return "" if value is None else spreadsheet_cell(
        canonical_json(value) if isinstance(value, (list, dict)) else str(value), "decisions.json")


def _csv_row(e: dict[str, Any]) -> list[str]:
    return [csv_cell(e[c]) for c in CSV_COLUMNS]


class CsvWriter:
    """``decisions.csv`` written a row at a time to ``sink`` (anything with ``write(bytes)``).

    UTF-8 (no byte-order mark), CRLF rows, one row per entry; lists and objects as canonical JSON.
    A text cell that would start a spreadsheet formula gets a leading apostrophe (phone numbers
    are kept: ``models.records.csv_guard``), and one longer than a spreadsheet cell holds is cut
    and says so; ``decisions.json`` holds every value exactly."""

    def __init__(self, sink) -> None:
        self.sink, self.buf = sink, io.StringIO()
        self.writer = csv.writer(self.buf, lineterminator="\r\n")
        self.writer.writerow(CSV_COLUMNS)
        self._flush()

    def _flush(self) -> None:
        self.sink.write(self.buf.getvalue().encode("utf-8"))
        self.buf.seek(0)
        self.buf.truncate()

    def add(self, entry: dict[str, Any]) -> None:
        self.writer.writerow(_csv_row(entry))
        self._flush()


def csv_bytes(entries: list[dict[str, Any]]) -> bytes:
    """The whole of ``decisions.csv`` (:class:`CsvWriter`) as bytes."""
    out = io.BytesIO()
    writer = CsvWriter(out)
    for e in entries:
        writer.add(e)
    return out.getvalue()


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)


class JsonWriter:
    """``decisions.json`` written an entry at a time to ``sink``: the same bytes as ``json.dumps`` of the
    whole document with ``indent=2`` (``entry_count`` comes before the entries, so the count is given first).

    An entry sits two levels deep (document, ``entries`` list): dumped alone, each of its line breaks
    (JSON escapes those inside strings, so every one is layout) takes four more spaces."""

    def __init__(self, sink, period: Period, icb: str, count: int) -> None:
        self.sink, self.count, self.written = sink, count, 0
        head = _dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "icb": icb, "period": period.as_dict(),
                       "entry_count": count, "entries": []})
        assert head.endswith('"entries": []\n}')
        self.head = head[:-len("[]\n}")]

    def add(self, entry: dict[str, Any]) -> None:
        if self.written >= self.count:
            raise ExportError(f"more than the {self.count} entries counted came to be written")
        lead = self.head + "[\n    " if self.written == 0 else ",\n    "
        self.sink.write((lead + _dumps(entry).replace("\n", "\n    ")).encode("utf-8"))
        self.written += 1

    def close(self) -> None:
        if self.written != self.count:
            raise ExportError(f"{self.written} of the {self.count} entries counted were written")
        self.sink.write((self.head + "[]\n}\n" if self.count == 0 else "\n  ]\n}\n").encode("utf-8"))


def json_bytes(entries: list[dict[str, Any]], period: Period, icb: str) -> bytes:
    """The whole of ``decisions.json`` (:class:`JsonWriter`) as bytes."""
    out = io.BytesIO()
    writer = JsonWriter(out, period, icb, len(entries))
    for e in entries:
        writer.add(e)
    writer.close()
    return out.getvalue()


RETENTION_ENV = "SCC_RECORDS_RETENTION"   # a room's own retention file when none is given
RETENTION_FIELDS = ("class", "description", "schedule_entry", "retention_period")


def retention_class(path: Path | str | None = None) -> dict[str, Any]:
    """The ``[decision_log]`` retention class stamped into the manifest and on the PDF's first page.

    From ``path``, else ``$SCC_RECORDS_RETENTION``, else the shipped placeholder (not verified): a
    records manager confirms the schedule entry and period locally and writes them in a file of the
    same shape. A file that cannot be used raises :class:`ExportError` naming the file and field."""
    chosen = path or os.environ.get(RETENTION_ENV, "").strip() or None
    path = Path(chosen) if chosen else resources.path("records", "retention.toml")
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise RetentionError(f"retention file {path}: cannot read it: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RetentionError(f"retention file {path}: not valid TOML: {exc}") from None
    entry, table = data.get("decision_log"), data.get("table", {})
    if not isinstance(entry, dict):
        raise RetentionError(f"retention file {path}: [decision_log]: missing; it names the class and period")
    problems = [f"decision_log.{f}: missing or empty text" for f in RETENTION_FIELDS
                if not isinstance(entry.get(f), str) or not entry[f].strip()]
    if not isinstance(table, dict) or not isinstance(table.get("verified", False), bool):
        problems.append("table.verified: must be true or false")
    if problems:
        raise RetentionError(f"retention file {path}: " + "; ".join(problems))
    entry = dict(entry)
    entry["verified"] = bool(table.get("verified", False))
    entry["edition"] = table.get("edition")
    return entry


def _create(path: Path):
    # The owner's only, whatever the umask: decisions name patients and staff.  A file of that name
    # left by an earlier failed export is removed first (O_TRUNC would keep its mode), and a link
    # planted there is never followed (O_EXCL).
    path.unlink(missing_ok=True)
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


class _Part:
    """One file of an export as it is written: ``NAME.part`` in the folder, hashed and counted as the bytes
    go by (the manifest's size and SHA-256), put under its own name by :meth:`commit` once every file is
    whole; :meth:`discard` removes it."""

    def __init__(self, path: Path) -> None:
        self.path, self.tmp = path, path.with_name(path.name + ".part")
        self.fh = _create(self.tmp)
        self.hash, self.bytes = hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.fh.write(data)
        self.hash.update(data)
        self.bytes += len(data)
        return len(data)

    def finish(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()

    def commit(self) -> None:
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        try:
            self.fh.close()
        except OSError:
            pass
        self.tmp.unlink(missing_ok=True)

    def listing(self) -> dict[str, Any]:
        return {"name": self.path.name, "bytes": self.bytes, "sha256": self.hash.hexdigest()}


def _exporter(session, user: str | None, host: str | None) -> dict[str, str | None]:
    user = user if user is not None else current_author()
    meta = session.get(ReplicaMeta, "device_id")
    out = {"user": user, "host": host or socket.gethostname(), "app": f"scc-desktop {VERSION}",
           "replica_device_id": meta.value if meta else None}
    before = session.get(ReplicaMeta, "device_ids_before")   # a restored replica's earlier identities
    if before is not None:                                  # (models.replica.identity), when it had any
        out["replica_device_ids_before"] = [b["device_id"] for b in json.loads(before.value)]
    return out


def _chain(report: records_verify.VerifyReport) -> dict[str, Any]:
    first = report.first_problem
    return {
        "verification": {"intact": report.intact, "problems": len(report.problems),
                         "first_problem": first.sentence() if first else None,
                         "entries_checked": report.entries, "not_yet_at_hub": report.not_at_hub},
        "device_heads": [{"device_id": h.chain.split(":", 1)[1], "device_seq": h.seq,
                          "content_hash": h.hash, "entries": h.entries} for h in report.device_heads],
        "hub_head": ({"hub_seq": report.hub_head.seq, "hub_hash": report.hub_head.hash,
                      "entries": report.hub_head.entries} if report.hub_head else None),
    }


@dataclass
class ExportResult:
    out_dir: Path
    entries: int
    files: dict[str, Path]
    manifest: dict[str, Any]
    verify: records_verify.VerifyReport
    pdf_pages: int
    notes: list[str] = field(default_factory=list)
    key_fingerprint: str | None = None   # the export key's (models.records.export.signing)


ICB_ENV = "SCC_ICB_NAME"   # the ICB named on every page when none is given


def icb_name(given: str | None = None) -> str:
    """The ICB an export names: ``given``, else ``$SCC_ICB_NAME``, else a plain "ICB not named"."""
    return (given or "").strip() or os.environ.get(ICB_ENV, "").strip() or "ICB not named"


def export_records(store, first: date | datetime, last: date | datetime, out_dir: Path | str, *, icb: str | None = None,
                   force: bool = False, now: datetime | None = None, user: str | None = None,
                   host: str | None = None, retention: Path | str | None = None) -> ExportResult:
    """Write the four export files for UK local dates ``first``..``last`` (inclusive) into ``out_dir``; either
    may be an aware time instead (``first`` included, ``last`` excluded: a shift, ``uk_time.uk_period_between``).

    ``retention``: the room's retention file (:func:`retention_class`)."""
    from models.records.export import pdf

    icb = icb_name(icb)
    retention_entry = retention_class(retention)   # a bad file is said before anything is written
    try:
        key, keys = signing.export_key_and_history(store)   # made and kept in the replica on the first export
    except signing.SigningKeyError as exc:
        raise ExportError(str(exc)) from None
    period = uk_period_between(first, last)
    out = Path(out_dir)
    names = (CSV_NAME, JSON_NAME, PDF_NAME, handover_section.HANDOVER_NAME, MANIFEST_NAME, signing.SIGNATURE_NAME,
             signing.HISTORY_NAME)
    if out.exists() and not force and any((out / n).exists() for n in names):
        raise ExportError(f"{out} already holds an export; choose an empty folder or use --force to replace it")
    try:   # 0700, and each missing folder above it too (mkdir's parents took the umask's 0755)
        folder_warning = owner_only.folder(out)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    now = now or utcnow()
    # Every file is written as the entries are read (CSV and JSON rows, PDF pages), to NAME.part; only when
    # all are whole do they take their names, and the manifest is written last.  A failure part-way (a full
    # disk) removes the .part files and leaves no manifest that names files it did not hash: a manifest of
    # an export being replaced (--force) is removed before the first new file takes its name.
    parts: list[_Part] = []
    signature: _Part | None = None

    def part(name: str) -> _Part:
        parts.append(_Part(out / name))
        return parts[-1]

    try:
        with store.session() as s:
            report = records_verify.verify(s)
            exporter = _exporter(s, user, host)
            handover = handover_section.collect(s, now)
            chain = _chain(report)
            entries = PeriodEntries(s, period)
            csv_out = CsvWriter(part(CSV_NAME))
            json_out = JsonWriter(part(JSON_NAME), period, icb, len(entries))

            def written() -> Iterator[dict[str, Any]]:
                for e in entries:
                    csv_out.add(e)
                    json_out.add(e)
                    yield e

            rendered = pdf.write(part(PDF_NAME), written(), len(entries), entries.numbers, pdf.PdfMeta(
                icb=icb, period=period, exported_at=now, exporter=exporter, retention=retention_entry,
                chain=chain, key_fingerprint=key.fingerprint, key_number=keys.current.number), handover=handover)
            json_out.close()
            part(CONTEXT_NAME).write(chain_context.json_bytes(s, period))
        part(handover_section.HANDOVER_NAME).write(handover_section.json_bytes(handover))
        part(CHECKER_NAME).write(resources.path("records", "verify_export.py.txt").read_bytes())
        part(README_NAME).write(resources.path("records", "export_README.txt").read_bytes())
        part(signing.HISTORY_NAME).write(keys.export_bytes())
        for p in parts:
            p.finish()
        manifest = {
            "format": "scc-records-export-manifest", "format_version": MANIFEST_VERSION, "icb": icb,
            "period": period.as_dict(), "exported_at": to_utc_text(now), "exported_at_uk": iso_uk(now),
            "exporter": exporter, "retention": retention_entry, "entries": len(entries), "chain": chain,
            "handover": {"overdue_actions": len(handover["overdue"]), "open_actions": len(handover["open"])},
            "signing_key": {"number": keys.current.number, "fingerprint": key.fingerprint,
                            "made_at": keys.current.made_at},
            "pdf": {"pages": rendered.pages, "font": rendered.font, "font_note": rendered.font_note},
            "files": sorted((p.listing() for p in parts), key=lambda f: f["name"]),
        }
        manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        signature = _Part(out / signing.SIGNATURE_NAME)   # not in the manifest: it signs the manifest
        signature.write(key.signature_bytes(manifest_bytes))
        signature.finish()
        (out / MANIFEST_NAME).unlink(missing_ok=True)
        (out / signing.SIGNATURE_NAME).unlink(missing_ok=True)
        for p in parts:
            p.commit()
        owner_only.write(out / MANIFEST_NAME, manifest_bytes)
        signature.commit()
    except BaseException as exc:
        for p in parts + ([signature] if signature else []):
            p.discard()
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write the export into {out}: {exc.strerror or exc}") from None
        raise
    notes = [rendered.font_note] if rendered.font_note else []
    if folder_warning:
        notes.append(f"warning: {folder_warning}")
    names += (CONTEXT_NAME, CHECKER_NAME, README_NAME)
    return ExportResult(out, len(entries), {n: out / n for n in names}, manifest, report, rendered.pages, notes,
                        key.fingerprint)
