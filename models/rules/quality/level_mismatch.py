"""A declared OPEL level differing from the calculated one without a real reason.

The hub refuses a declaration without any reason (``intake.quarantined`` reports those); this
finds the ones that got through with a reason that says nothing ("n/a", "-", "see above").
Judged on each provider's newest assessment: clears when it declares with a reason, or as calculated.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.rules.quality.facts import Assessment
from models.rules.quality.finding import Finding
from models.uk_time import uk_time

MIN_REASON_CHARS = 12   # "ward closed" is 11: shorter than any reason that explains a level
EMPTY_REASONS = frozenset({"n/a", "na", "none", "no", "-", ".", "?", "see above", "tbc", "x", "reason", "override"})


def thin_reason(reason: str | None) -> bool:
    text = (reason or "").strip().lower()
    return len(text) < MIN_REASON_CHARS or text in EMPTY_REASONS


def level_mismatch(newest: Iterable[Assessment]) -> list[Finding]:
    out = []
    for a in newest:
        if a.declared_level is None or a.declared_level == a.calculated_level:
            continue
        if not thin_reason(a.override_reason):
            continue
        calc = f"OPEL {a.calculated_level}" if a.calculated_level else "not calculable (incomplete)"
        out.append(Finding(
            "level_mismatch", a.org_code, None,
            f"{a.org_code} declares OPEL {a.declared_level} at {uk_time(a.assessed_at)} but the calculated level is "
            f"{calc}, and the reason given ({(a.override_reason or '').strip()!r}) does not say why. Ask for the "
            "reason; it clears when a declaration with one (or matching the calculated level) arrives.",
            severity="warning", submission=a.ref, at=a.assessed_at, discriminator="thin-reason"))
    return out
