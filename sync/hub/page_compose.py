"""The words of one page (the second escalation channel, :mod:`sync.hub.escalation_page`): its JSON body,
its one-line ``text`` ready for an SMS, and its ``Idempotency-Key``.  Pure: what the alerts' figures check
found, the providers' names and each alert's value and threshold are read by the pager and passed in.

One alert: its fields at the top, ``count`` 1 and ``alerts``; its key is its row's own.  Several: one page,
its top-level alert fields the worst's, ``count`` how many, ``alerts`` the first ``MAX_LISTED`` written out (the
rest counted in ``more``), ``text`` naming the worst ``NAMED`` and how many more, ``figures_in_doubt`` true when
any is in doubt, null when they could not be checked; its key :func:`batch_key`, the same for the same alerts.
No patient data: alerts are about services.
"""

from __future__ import annotations

import uuid

from models.rules.escalation import OpenAlert
from models.uk_time import uk_time
from sync import protocol as p
from sync.hub import schema as s
from sync.hub.page_choice import rank
from sync.hub.paging_config import PagingConfig

NAMED = 3         # alerts a page about several names in its one-line ``text``, the worst first
MAX_LISTED = 20   # alerts written out in its ``alerts``; the rest counted (``count``, ``more``)


def batch_key(hub_id: str, alert_ids: list[str]) -> str:
    """The ``Idempotency-Key`` of one page about several alerts: the same for the same alerts (a retry of it),
    another for another set. A page about one alert keeps that alert's own key (``alert_page.idempotency_key``)."""
    return f"scc-page-{uuid.uuid5(uuid.NAMESPACE_URL, hub_id + '/' + ','.join(sorted(alert_ids)))}"


def compose(config: PagingConfig, hub_id: str, rows: list[dict], alerts: list[OpenAlert], found: dict,
            unchecked: str | None, names: dict[str, str], values: dict | None = None) -> tuple[dict, dict]:
    """One page's JSON about ``alerts`` (their ``rows``, in the same order), the worst first, and what the
    figures check found for each (alert id -> the attempt log's ``doubt`` / ``doubt_unchecked``).

    ``found``: alert id -> the findings that doubt its figures; ``unchecked``: why they could not be checked
    (then ``found`` is empty); ``names``: ODS code -> name; ``values``: alert id -> (value, threshold)."""
    values = values or {}
    why = {row["alert_uuid"]: row["reason"] for row in rows}
    ordered = sorted(alerts, key=rank)
    phone = f"Phone the SCC on {config.scc_phone}"

    def provider(a: OpenAlert) -> str:
        name = names.get(a.org_code)
        return (f"{a.org_code} {name}" if name else a.org_code) if a.org_code else "system-wide"

    def one(a: OpenAlert) -> dict:
        value, threshold = values.get(a.id, (None, None))
        doubt = None if unchecked else bool(found.get(a.id))
        return {"alert_id": a.id, "rule_id": a.rule_id, "rule": a.rule_name or a.rule_id, "severity": a.severity,
                "provider": {"code": a.org_code, "name": names.get(a.org_code)}, "metric": a.metric,
                "value": value, "threshold": threshold, "detail": a.detail, "raised": uk_time(a.raised_at),
                "raised_utc": s.iso(a.raised_at), "figures_in_doubt": doubt,
                "doubt": [d.words for d in found.get(a.id, [])[:3]], "why": why[a.id]}

    worst = ordered[0]
    doubted = sum(1 for a in alerts if found.get(a.id))
    if len(ordered) == 1:
        text = (f"[{config.room_name}] {worst.severity.upper()} not acknowledged: "
                f"{worst.rule_name or worst.rule_id} - {provider(worst)}, raised {uk_time(worst.raised_at)}. "
                + ("Figures in doubt: check with the provider. " if doubted else "") + f"{phone}.")
        key, reason = rows[0]["idempotency_key"], rows[0]["reason"]
    else:
        named = "; ".join(f"{a.severity.upper()} {a.rule_name or a.rule_id} - {provider(a)}"
                          for a in ordered[:NAMED])
        more = f", and {len(ordered) - NAMED} more" if len(ordered) > NAMED else ""
        flag = f", {doubted} with figures in doubt: check with the provider" if doubted else (
            ", figures not checked" if unchecked else "")
        text = (f"[{config.room_name}] {len(ordered)} alerts not acknowledged (worst "
                f"{worst.severity.upper()}{flag}): {named}{more}. {phone}.")
        key = batch_key(hub_id, [a.id for a in ordered])
        reasons = {why[a.id] for a in ordered}
        reason = why[worst.id] if len(reasons) == 1 else f"{why[worst.id]} (and other reasons: see alerts)"
    body = {"kind": "scc_escalation_page", "version": 1, "idempotency_key": key, "hub_id": hub_id,
            "room": config.room_name, **one(worst), "phone": phone, "why": reason[:p.MAX_REASON_CHARS],
            "text": text, "count": len(ordered), "alerts": [one(a) for a in ordered[:MAX_LISTED]],
            "more": max(0, len(ordered) - MAX_LISTED)}
    if doubted:
        body["figures_in_doubt"] = True   # the page's: any of its alerts
    checked = {a.id: ({"doubt": [d.as_json() for d in found[a.id]]} if found.get(a.id)
                      else ({"doubt_unchecked": unchecked} if unchecked else {})) for a in alerts}
    return body, checked
