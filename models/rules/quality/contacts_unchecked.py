"""Contacts nobody has checked for a while: an out-of-date number looks as current as a fresh one
unless its age is shown and chased (hazard H-05).  A contact is checked by "Checked now" on the
Contacts tab or by any edit (``contact.checked_at``, migration 0025); one finding names how many
are overdue and which, the longest unchecked first, and clears when every one is checked again.

The age words here are also the Contacts tab's "Checked" column and the business-continuity pack's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.rules.quality.finding import Finding
from models.uk_time import UK, uk_date

# A contact not checked for this many days is overdue: marked on the Contacts tab and the business-continuity
# pack, and named by the data-quality finding.  A quarter is about how often a room's directory is reviewed
# and how long a switchboard or bleep number tends to stay right; a constant, not a setting, as the other
# data-quality limits are (docs/data-quality.md).
CHECK_DUE_DAYS = 90
SHOWN = 20   # contacts named in the finding's detail, the longest unchecked first; the rest are counted


@dataclass(frozen=True)
class ContactAge:
    uuid: str
    name: str
    organisation: str
    checked_at: datetime | None    # None: never checked (no edit or check recorded)


def days_since(checked_at: datetime | None, now: datetime) -> int | None:
    """UK calendar days from the check to ``now`` (0: today, 1: yesterday); None when never checked."""
    if checked_at is None:
        return None
    return max(0, (now.astimezone(UK).date() - checked_at.astimezone(UK).date()).days)


def is_overdue(checked_at: datetime | None, now: datetime, due_days: int = CHECK_DUE_DAYS) -> bool:
    """Not checked for more than ``due_days`` (or never)."""
    return checked_at is None or now - checked_at > timedelta(days=due_days)


def age_words(checked_at: datetime | None, now: datetime, due_days: int = CHECK_DUE_DAYS) -> str:
    """"checked today", "checked 3 days ago", "⚠ not checked for 120 days", "⚠ never checked"."""
    days = days_since(checked_at, now)
    if days is None:
        return "⚠ never checked"
    if is_overdue(checked_at, now, due_days):   # whole days elapsed, as the limit counts them
        return f"⚠ not checked for {(now - checked_at).days} days"
    if days == 0:
        return "checked today"
    return "checked yesterday" if days == 1 else f"checked {days} days ago"


def unchecked(contacts: Iterable[ContactAge], now: datetime, due_days: int = CHECK_DUE_DAYS) -> list[Finding]:
    """One finding naming every contact not checked for ``due_days``, or none."""
    late = sorted((c for c in contacts if is_overdue(c.checked_at, now, due_days)),
                  key=lambda c: (c.checked_at is not None, c.checked_at or now, c.name.casefold(), c.uuid))
    if not late:
        return []
    named = "; ".join(f"{c.name} ({c.organisation}), "
                      + (f"last checked {uk_date(c.checked_at.astimezone(UK).date())}" if c.checked_at
                         else "never checked") for c in late[:SHOWN])
    more = f"; and {len(late) - SHOWN} more" if len(late) > SHOWN else ""
    many = len(late) != 1
    detail = (f"{len(late)} contact{'s' if many else ''} not checked in {due_days} days: {named}{more}. "
              f"A number may have changed: check {'each' if many else 'it'} and press “Checked now” on the Contacts "
              "tab (an edit counts as a check); “Not checked in "
              f"{due_days} days” there lists them all.")
    return [Finding("contact_unchecked", None, None, detail, severity="warning",
                    at=late[0].checked_at, discriminator="contacts")]
