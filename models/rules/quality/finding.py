"""What a check returns: one problem with the data, named so a person can fix it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Check ids, as the CLI and the view show them; each maps to the table's coarse ``kind``.
CHECKS = {
    "late": "late",
    "missing": "missing",
    "incomplete_opel": "missing",
    "impossible": "inconsistent",
    "unclosed": "missing",
    "jump": "out_of_range",
    "duplicate": "inconsistent",
    "level_mismatch": "inconsistent",
    "declaration_unchecked": "inconsistent",
    "clock_skew": "inconsistent",
    "standards_year": "missing",
    "intake_quarantine": "malformed",
    "stuck": "stale",
    "contact_unchecked": "stale",
}
SEVERITIES = ("info", "warning", "critical")


@dataclass(frozen=True)
class Finding:
    check: str                    # a key of CHECKS
    org_code: str | None
    metric: str | None
    detail: str                   # what is wrong and what would fix it, one or two sentences
    severity: str = "warning"
    submission: str | None = None  # the offending submission: its id, or the feed position it came at
    at: datetime | None = None    # the time the offending data describes (or was sent)
    discriminator: str = ""       # what makes this finding one of several of its check for one series

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ValueError(f"check: unknown check {self.check!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity: {self.severity!r} is not one of {', '.join(SEVERITIES)}")

    @property
    def key(self) -> str:
        """Stable across runs: the same problem found again is the same finding."""
        return "|".join((self.check, self.org_code or "", self.metric or "", self.discriminator))[:200]

    @property
    def kind(self) -> str:
        return CHECKS[self.check]
