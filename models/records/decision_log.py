"""Decision log entries: canonical content, content hash and the per-device chain.

An entry's ``content_hash`` is SHA-256 over its canonical JSON (sorted keys,
UTC times, no whitespace) together with the previous entry's hash from the
same authoring device, so editing any stored field, or removing or
reordering an entry, breaks the chain from that point.  The hub chains the
entries again in its receipt order (``hub_prev_hash``/``hub_hash``), which
catches a device that rewrites its own history.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from models.replica.orm.types import to_utc_text

# The fields the hash covers, in a fixed list so a new optional field does
# not silently change the hash of old entries.
HASHED_FIELDS = (
    "uuid", "device_id", "device_seq", "decided_at", "decision_maker", "decision_maker_role",
    "decision", "rationale", "options_considered", "information_available", "situation_snapshot",
    "review_at", "recorded_by", "recorded_at", "amends_uuid", "links")


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_utc_text(value)
    if isinstance(value, dict):
        return {k: _canonical_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical_value(v) for v in value]
    return value


def canonical_content(fields: dict[str, Any]) -> bytes:
    missing = [f for f in HASHED_FIELDS if f not in fields]
    if missing:
        raise ValueError(f"decision entry lacks {', '.join(missing)}")
    content = {f: _canonical_value(fields[f]) for f in HASHED_FIELDS}
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(fields: dict[str, Any], prev_device_hash: str | None) -> str:
    digest = hashlib.sha256()
    digest.update((prev_device_hash or "").encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_content(fields))
    return digest.hexdigest()


def hub_hash(hub_prev_hash: str | None, entry_content_hash: str) -> str:
    """The hub's receipt-order link: SHA-256 of the previous hub hash and this entry's hash."""
    return hashlib.sha256(((hub_prev_hash or "") + entry_content_hash).encode("ascii")).hexdigest()
