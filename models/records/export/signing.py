"""The desktop's export key: every records export's ``manifest.json`` signed (Ed25519) into ``signature.json``.

The hashes of an export are unkeyed: someone who rewrites an entry, every hash after it and the manifest
makes a folder that checks whole. A signature made with a key that only this replica holds closes that,
for a records team that registered the key's fingerprint once (``scc-desktop export key``) and checks each
export against it (``verify_export.py --signed-by FINGERPRINT``): a rewritten manifest no longer matches
the signature, and a signature made again with another key names another fingerprint.

The private key is made on first use and kept in the encrypted replica (``replica_meta`` row
``export_signing_key``), so it is as safe as the decision log itself, travels with a backup of the replica
and is never written anywhere else. A replica made afresh has a new key: its fingerprint is registered anew.

Replacing the key (:func:`rotate`, ``scc-desktop export key --new --reason TEXT``, session 30): a new key takes
the old one's place; the old one's private half is deleted and its public half, fingerprint, dates and the reason
are kept in ``replica_meta`` row ``export_signing_keys`` (:class:`KeyHistory`), which every export carries as
``key_history.json``. A planned change writes a handover statement signed by the old key naming the new one, so
a records team that registered the old fingerprint is told by its checker that the room handed over to the new
key (exit 3, not 0). A key retired as compromised hands over to none: a statement signed by a key someone else
may hold proves nothing, so the new fingerprint reaches the records team out of band (phone, letter), never
through an export.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import text

KEY_ROW = "export_signing_key"
HISTORY_ROW = "export_signing_keys"   # every key the room has signed with: public half, dates, why retired
HISTORY_NAME = "key_history.json"     # the history, in every export (listed in the manifest, so signed)
HISTORY_FORMAT = "scc-records-export-keys"
HANDOVER_FORMAT = "scc-records-export-key-handover"
HANDED_OVER, COMPROMISED = "handed over", "compromised"
SIGNATURE_NAME = "signature.json"
SIGNATURE_FORMAT = "scc-records-export-signature"


class SigningKeyError(Exception):
    """The key kept in the replica cannot be read; the message says what to do."""


@dataclass(frozen=True)
class ExportKey:
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def signature_bytes(self, manifest: bytes) -> bytes:
        """``signature.json``: the Ed25519 signature of the manifest's exact bytes, with the public key."""
        doc = {"format": SIGNATURE_FORMAT, "format_version": 1, "algorithm": "Ed25519", "signs": "manifest.json",
               "public_key": self.public_raw.hex(), "key_fingerprint": self.fingerprint,
               "signature": self.private.sign(manifest).hex()}
        return (json.dumps(doc, indent=2) + "\n").encode("ascii")


def fingerprint(public_raw: bytes) -> str:
    """The key's name for a records team to register: the SHA-256 of its 32 raw bytes, in hex."""
    return hashlib.sha256(public_raw).hexdigest()


def spaced(fp: str, groups: int = 8) -> str:
    """The first ``groups`` fours of a fingerprint, spaced for reading aloud or copying by hand."""
    return " ".join(fp[i:i + 4] for i in range(0, 4 * groups, 4))


def _meta(session, key: str) -> str | None:
    return session.execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": key}).scalar()


def _put(session, key: str, value: str) -> None:
    session.execute(text("INSERT INTO replica_meta (key, value) VALUES (:k, :v) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"k": key, "v": value})


def _utc_text(at: datetime) -> str:
    from models.replica.orm.types import to_utc_text
    return to_utc_text(at)


@dataclass
class KeyRecord:
    """One key the room has signed with: never its private half once retired."""
    number: int
    fingerprint: str
    public_key: str                 # hex of the 32 raw bytes
    made_at: str | None             # UTC text; None: made before the history was kept (session 30)
    retired_at: str | None = None
    retired_how: str | None = None  # HANDED_OVER or COMPROMISED
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class KeyHistory:
    keys: list[KeyRecord] = field(default_factory=list)
    handovers: list[dict[str, str]] = field(default_factory=list)   # {"statement": JSON text, "signature": hex}

    @property
    def current(self) -> KeyRecord:
        return self.keys[-1]

    def as_json(self) -> str:
        return json.dumps({"keys": [k.as_dict() for k in self.keys], "handovers": self.handovers},
                          sort_keys=True, separators=(",", ":"))

    def export_bytes(self) -> bytes:
        """``key_history.json`` as an export carries it: what a records team's checker reads to follow a
        handover from the key it registered (``resources/records/verify_export.py.txt``)."""
        from models.uk_time import uk_time
        from models.replica.orm.types import from_utc_text

        def shown(at: str | None) -> str | None:
            return uk_time(from_utc_text(at)) if at else None

        keys = [dict(k.as_dict(), made_at_uk=shown(k.made_at), retired_at_uk=shown(k.retired_at)) for k in self.keys]
        doc = {"format": HISTORY_FORMAT, "format_version": 1, "signed_by": self.current.fingerprint,
               "keys": keys, "handovers": self.handovers}
        return (json.dumps(doc, indent=2, ensure_ascii=True) + "\n").encode("ascii")


def _history(session, key: ExportKey) -> KeyHistory:
    stored = _meta(session, HISTORY_ROW)
    if stored is not None:
        try:
            doc = json.loads(stored)
            history = KeyHistory([KeyRecord(**k) for k in doc["keys"]], list(doc["handovers"]))
        except (ValueError, TypeError, KeyError):
            raise SigningKeyError(
                f"the history of export keys kept in this replica (replica_meta row {HISTORY_ROW}) cannot be read: "
                "it was changed outside SCC Desktop. Nothing was exported. 'scc-desktop export key --new "
                "--compromised --reason TEXT' makes a new key and history.") from None
        if history.keys and history.current.fingerprint == key.fingerprint:
            return history
        raise SigningKeyError(
            f"the export key kept in this replica (replica_meta row {KEY_ROW}) is not the one its history of keys "
            f"(row {HISTORY_ROW}) names as current: one of them was changed outside SCC Desktop. Nothing was "
            "exported. 'scc-desktop export key --new --compromised --reason TEXT' replaces it.")
    # A key made before the history was kept (session 29): its date of making is not known.
    history = KeyHistory([KeyRecord(1, key.fingerprint, key.public_raw.hex(), None)])
    _put(session, HISTORY_ROW, history.as_json())
    return history


def _stored_history(session) -> KeyHistory:
    """The history as stored, or an empty one when it cannot be read (a replacement after a change outside)."""
    try:
        doc = json.loads(_meta(session, HISTORY_ROW) or "")
        return KeyHistory([KeyRecord(**k) for k in doc["keys"]], list(doc["handovers"]))
    except (ValueError, TypeError, KeyError):
        return KeyHistory()


def _read_key(session) -> ExportKey | None:
    row = _meta(session, KEY_ROW)
    if row is None:
        return None
    try:
        return ExportKey(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(row)))
    except (ValueError, TypeError):
        raise SigningKeyError(
            f"the export key kept in this replica (replica_meta row {KEY_ROW}) cannot be read: it was changed "
            "outside SCC Desktop. Nothing was exported. 'scc-desktop export key --new --compromised --reason "
            "TEXT' makes a new one; the records team then registers the new key's fingerprint.") from None


def _new_key(session) -> ExportKey:
    key = ExportKey(Ed25519PrivateKey.generate())
    raw = key.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    _put(session, KEY_ROW, raw.hex())
    return key


def load_or_create(session, now: datetime | None = None) -> tuple[ExportKey, KeyHistory]:
    """This replica's export key and its history of keys, made and kept on first use (in the caller's write
    transaction)."""
    key = _read_key(session)
    if key is not None:
        return key, _history(session, key)
    if _meta(session, HISTORY_ROW) is not None:
        raise SigningKeyError(
            f"the export key kept in this replica (replica_meta row {KEY_ROW}) is gone while its history of keys "
            f"(row {HISTORY_ROW}) is there: it was deleted outside SCC Desktop. Nothing was exported. "
            "'scc-desktop export key --new --compromised --reason TEXT' makes a new one.")
    from models.replica.orm.types import utcnow
    key = _new_key(session)
    history = KeyHistory([KeyRecord(1, key.fingerprint, key.public_raw.hex(), _utc_text(now or utcnow()))])
    _put(session, HISTORY_ROW, history.as_json())
    return key, history


def export_key(store) -> ExportKey:
    return export_key_and_history(store)[0]


def export_key_and_history(store) -> tuple[ExportKey, KeyHistory]:
    with store.writing() as s:
        return load_or_create(s)


def history_lines(history: KeyHistory) -> list[str]:
    """Each key the room has signed with, oldest first, as ``export key`` lists them."""
    from models.uk_time import uk_time
    from models.replica.orm.types import from_utc_text

    def shown(at: str | None) -> str:
        return uk_time(from_utc_text(at)) if at else "before keys were dated (session 30)"

    lines = []
    for k in history.keys:
        if k.retired_at is None:
            state = "signs exports now"
        elif k.retired_how == COMPROMISED:
            state = f"retired {shown(k.retired_at)} as compromised (no handover): {k.reason}"
        else:
            state = f"retired {shown(k.retired_at)}, handed over to key {k.number + 1}: {k.reason}"
        lines.append(f"key {k.number} {k.fingerprint}: made {shown(k.made_at)}; {state}")
    return lines


def handover_statement(old: ExportKey, new: ExportKey, at: datetime, reason: str) -> dict[str, str]:
    """The old key's signed word that the new key takes its place: the statement's exact JSON text and the old
    key's Ed25519 signature of its UTF-8 bytes (the checker verifies the text as written, then reads it)."""
    from models.uk_time import uk_time
    statement = json.dumps({
        "format": HANDOVER_FORMAT, "format_version": 1, "from_fingerprint": old.fingerprint,
        "from_public_key": old.public_raw.hex(), "to_fingerprint": new.fingerprint,
        "to_public_key": new.public_raw.hex(), "handed_over_at": _utc_text(at), "handed_over_at_uk": uk_time(at),
        "reason": reason}, sort_keys=True, ensure_ascii=True)
    return {"statement": statement, "signature": old.private.sign(statement.encode("ascii")).hex()}


@dataclass(frozen=True)
class Rotation:
    old: KeyRecord | None             # None: the old key could not be read, nor its history (changed outside)
    new: KeyRecord
    handover: dict[str, str] | None   # None: retired as compromised (no statement from a key others may hold)


def rotate(store, reason: str, *, compromised: bool = False, now: datetime | None = None) -> Rotation:
    """Replace the export key: a new key signs from now on; the old one's private half is deleted (and the
    freed space overwritten), its public half, fingerprint, dates and ``reason`` kept. Planned
    (``compromised`` False): a handover statement signed by the old key naming the new one goes into the history
    and so into every export. ``compromised``: none (see the module's docstring)."""
    from models.replica.orm.types import utcnow
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValueError("reason: empty: say why the key is replaced (it is kept with the old key)")
    now = now or utcnow()
    with store.writing() as s:
        s.execute(text("PRAGMA secure_delete = ON"))   # the old key's bytes overwritten where freed, not left
        try:
            old, history = load_or_create(s, now)
        except SigningKeyError as exc:   # a key changed outside the app is replaced as compromised, or not at all
            if not compromised:
                raise SigningKeyError(f"{exc} A planned change needs the old key to sign its handover: replace it "
                                      "with --compromised, and give the records team the new key yourself.") from None
            old, history = None, _stored_history(s)
        new = _new_key(s)
        retired = history.keys[-1] if history.keys else None
        if retired is not None and retired.retired_at is None:
            retired.retired_at, retired.reason = _utc_text(now), reason
            retired.retired_how = COMPROMISED if compromised else HANDED_OVER
        record = KeyRecord(retired.number + 1 if retired else 1, new.fingerprint, new.public_raw.hex(),
                           _utc_text(now))
        history.keys.append(record)
        statement = None if compromised else handover_statement(old, new, now, reason)
        if statement:
            history.handovers.append(statement)
        _put(s, HISTORY_ROW, history.as_json())
        s.execute(text("PRAGMA secure_delete = OFF"))
    with store.raw() as conn:   # and out of the write-ahead log
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except Exception:   # noqa: BLE001 -- busy: the next checkpoint takes it
            pass
    return Rotation(retired, record, statement)


_P = 2 ** 255 - 19


def canonical(public_raw: bytes) -> bool:
    """Whether 32 bytes are a point's one encoding (RFC 8032, 5.1.3): y below p, and no sign bit on x = 0 (y = 1
    or p - 1).  OpenSSL takes the other encodings of those points; the standalone checker refuses them."""
    value = int.from_bytes(public_raw, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    return y < _P and not (sign and y in (1, _P - 1))


def verify(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    """The app's check of a signature (OpenSSL's Ed25519), beside the standalone checker's own: a public key
    not in its one encoding is refused first, as the standalone checker's decoding refuses it."""
    if len(public_raw) != 32 or not canonical(public_raw):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
