"""The replica's authoring identity (``replica_meta`` key ``device_id``), and a new one after a restore.

Every record authored here carries the identity, and each decision its number in the identity's chain
(``device_seq``), which the hub holds once. A replica put back from a backup is behind the hub: its
identity's later decisions are at the hub and not in it, so the next decision recorded before it syncs
takes a number already sent and is refused ("two decisions cannot share a number"). A backup restored
on another computer would also leave two desktops with one identity, their records indistinguishable and
their concurrent transfer edits no longer seen as a conflict. So a restore gives the replica a new
identity (its first decision chains from none); the ones it had are kept in ``device_ids_before``.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections.abc import Callable
from datetime import datetime

import apsw

from models.replica.utc import to_utc_text

DEVICE_KEY = "device_id"
LOCAL_ALERT_STATE = "local_alert_state"   # the desktop's own alerts' state (models.records.local_alerts)
BEFORE_KEY = "device_ids_before"
CHAIN_ALERT_RULE = "decision_log_broken"   # models.records.chain_watch.RULE_CODE (kept across a renewal)   # JSON list: {"device_id", "until", "why"}


def renew(conn: apsw.Connection, at: datetime, why: str) -> tuple[str | None, str | None]:
    """Give the replica open on ``conn`` a new identity, in one transaction; returns (the one it had,
    the new one). A replica that never had one (nothing authored yet) is left to make its own: (None, None)."""
    with conn:
        return renew_in(lambda sql, params=(): list(conn.execute(sql, params)), at, why)


def renew_in(run: Callable[..., list], at: datetime, why: str) -> tuple[str | None, str | None]:
    """``renew`` inside a transaction the caller holds; ``run(sql, params)`` runs one statement on it and
    returns its rows (an apsw connection's, or an SQLAlchemy one's driver SQL during a feed apply)."""
    tables = {r[0] for r in run("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if "replica_meta" not in tables:   # a file from before identities (revision 0005): none to renew
        return None, None
    had = [r[0] for r in run("SELECT value FROM replica_meta WHERE key = ?", (DEVICE_KEY,))]
    if not had:
        return None, None
    new = str(uuidlib.uuid4())
    kept = [r[0] for r in run("SELECT value FROM replica_meta WHERE key = ?", (BEFORE_KEY,))]
    before = json.loads(kept[0]) if kept else []
    before.append({"device_id": had[0], "until": at.isoformat(timespec="seconds"), "why": why})
    run("UPDATE replica_meta SET value = ? WHERE key = ?", (new, DEVICE_KEY))
    # The desktop's own alerts ("hub not reached", "feed quiet") name it ("desktop <id[:8]>"): the old
    # name is never seen again, so its open ones never cleared and its silence raised them anew
    # (found in review). Its watch starts afresh under the new name; the old name's alerts end here.
    # Not the decision log's broken-chain alert (``models.records.chain_watch``), which names the desktop
    # too: it is kept until acknowledged, and the watch, finding the same break, raises nothing new (a
    # restore or a copy cleared it and left a broken log with no alert open; found in review).
    run("DELETE FROM replica_meta WHERE key = ?", (LOCAL_ALERT_STATE,))
    if "alert_event" in tables:
        run("UPDATE alert_event SET cleared_at = ? WHERE subject = ? AND cleared_at IS NULL AND rule_code != ?",
            (to_utc_text(at), f"system:desktop {had[0][:8]}", CHAIN_ALERT_RULE))
    run("INSERT INTO replica_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
        "value = excluded.value", (BEFORE_KEY, json.dumps(before)))
    return had[0], new
