"""Items the hub quarantined at intake, with its reasons, declared OPEL levels it refused
because they differ from the calculated level without a reason, and declared levels it took without
checking them (their own time's figures no longer held: :func:`unchecked`).

Each rejected item stays a finding until the same provider has a later item of the same kind
accepted (the same metric, for an observation of a known metric): the corrected data.  An unchecked
declaration stays one until the provider has a later declaration accepted.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.rules.quality.facts import Receipt, Rejection, Unchecked, accepted_key
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

MAX_PARAMETERS_NAMED = 3   # an unchecked declaration's parameters named in its words; the rest counted

MAX_DETAIL_REASONS = 5


def _is_level_mismatch(rej: Rejection) -> bool:
    return rej.item_type == "opel_declaration" and any(
        f.endswith(".reason") and "differs from the calculated level" in why for f, why in rej.errors)


def _correction_key(rej: Rejection, known_metrics: frozenset[str] | None) -> str:
    metric = rej.metric if (known_metrics is None or rej.metric in known_metrics) else None
    return accepted_key(rej.item_type, metric)


def _corrected(key: str, receipt: Receipt, later: list[Receipt]) -> bool:
    def matches(k: str) -> bool:
        return k == key or (key == "observation" and k.startswith("observation:"))
    return any(r.received_at > receipt.received_at and any(matches(k) for k in r.accepted_keys) for r in later)


def _by_org(receipts: Iterable[Receipt]) -> dict[str, list[Receipt]]:
    by_org: dict[str, list[Receipt]] = {}
    for r in receipts:
        by_org.setdefault(r.org_code, []).append(r)
    return by_org


def quarantined(receipts: Iterable[Receipt], known_metrics: frozenset[str] | None = None) -> list[Finding]:
    """``receipts``: every receipt in the window, any order."""
    out = []
    for org, mine in _by_org(receipts).items():
        for receipt in mine:
            for rej in receipt.rejected:
                if _corrected(_correction_key(rej, known_metrics), receipt, mine):
                    continue
                out.append(_finding(org, receipt, rej))
            hidden = receipt.rejected_count - len(receipt.rejected)
            if hidden > 0 and not any(r.received_at > receipt.received_at and r.accepted_keys for r in mine):
                out.append(Finding(
                    "intake_quarantine", org, None,
                    f"{hidden} more item(s) of submission {receipt.submission_id} from {org} were quarantined by the "
                    "hub than its notice lists; an admin sees them all with 'GET /v1/quarantine'.",
                    submission=receipt.submission_id, at=receipt.received_at,
                    discriminator=f"{receipt.submission_id}:rest"))
    return out


def _finding(org: str, receipt: Receipt, rej: Rejection) -> Finding:
    where = f"row {rej.row}" if rej.row is not None else f"item {rej.index}"
    reasons = "; ".join(f"{field}: {why}" for field, why in rej.errors[:MAX_DETAIL_REASONS])
    if len(rej.errors) > MAX_DETAIL_REASONS:
        reasons += f"; and {len(rej.errors) - MAX_DETAIL_REASONS} more"
    what = rej.item_type or "item"
    if rej.metric:
        what += f" {rej.metric}"
    if _is_level_mismatch(rej):
        return Finding(
            "level_mismatch", org, None,
            f"{org} declared an OPEL level that differs from the calculated one without a reason (submission "
            f"{receipt.submission_id}, {uk_time(receipt.received_at)}): {reasons}. The hub refused it; it clears "
            "when a declaration with a reason (or matching the calculated level) is accepted.",
            submission=receipt.submission_id, at=receipt.received_at,
            discriminator=f"{receipt.submission_id}:{rej.index}")
    return Finding(
        "intake_quarantine", org, rej.metric,
        f"The hub quarantined {what} ({where} of submission {receipt.submission_id}, received "
        f"{uk_time(receipt.received_at)}): {reasons}. It clears when {org} sends the corrected item.",
        submission=receipt.submission_id, at=receipt.received_at,
        discriminator=f"{receipt.submission_id}:{rej.index}")


def unchecked(receipts: Iterable[Receipt]) -> list[Finding]:
    """Declared OPEL levels the hub took without checking them against the figures of their own time (a
    backfill whose figures its retention had deleted): nothing says the level is wrong, and nothing checked it
    either, where a level that differs from the figures needs a reason.  ``receipts``: every receipt in the
    window, any order."""
    out = []
    for org, mine in _by_org(receipts).items():
        for receipt in mine:
            if receipt.unchecked and not _corrected("opel_declaration", receipt, mine):
                out += [_unchecked_finding(org, receipt, u) for u in receipt.unchecked]
    return out


def _unchecked_finding(org: str, receipt: Receipt, u: Unchecked) -> Finding:
    level = f"OPEL {u.declared_level}" if u.declared_level is not None else "an OPEL level"
    of = f" for {uk_time(u.assessed_at)}" if u.assessed_at is not None else ""
    named = ", ".join(u.parameters[:MAX_PARAMETERS_NAMED])
    if len(u.parameters) > MAX_PARAMETERS_NAMED:
        named += f" and {len(u.parameters) - MAX_PARAMETERS_NAMED} more"
    start = f" from {uk_time(u.history_from)} on" if u.history_from is not None else ""
    why = (f"it holds figures only{start} ({u.cause or 'the reason was not given'}), so "
           f"{named or 'its parameters'} as they stood then are not known")
    return Finding(
        "declaration_unchecked", org, None,
        f"{org} declared {level}{of}; the hub took it without checking it against the level {org}'s figures gave "
        f"then (submission {receipt.submission_id}, received {uk_time(receipt.received_at)}): {why}. A declared "
        f"level that differs from its figures needs a reason, and this one could not be compared: confirm it with "
        f"{org} if it matters. It clears when {org} sends a later declaration.",
        severity="info", submission=receipt.submission_id, at=u.assessed_at or receipt.received_at,
        discriminator=f"{receipt.submission_id}:{u.index}")
