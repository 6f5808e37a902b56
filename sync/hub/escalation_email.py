"""The escalation email: plain text a person on call can act on from a phone.

Subject: severity, rule and provider.  Body: why it comes to them (the rota), what, since when,
the detail, and how to acknowledge.  Only what the alert itself says: alerts are about services
(levels, waits, late data), never patients, so no patient data can reach an email.

Figures in doubt: when a data-quality finding doubts the figures behind an alert (the desktop's
"In doubt (data quality)", worked out on the hub by ``sync.hub.figures_doubt``), the subject says
"figures in doubt", a paragraph near the top says what that means, and the alert's entry gives each
finding in the desktop's words.  The email goes all the same.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from models.rules.escalation import OpenAlert, Recipient
from models.uk_time import uk_time

_RANK = {"critical": 0, "warning": 1, "info": 2}
SEVERITY_RANK = _RANK   # the worst first: an e-mail's order, and a page's (sync.hub.page_choice)
UNCHECKED_LATE = "not checked in time"   # how ``unchecked`` begins when the check ran out of time
MAX_LISTED = 20   # alerts written out in one email; the rest are counted (the app lists them all)


def _provider(alert: OpenAlert, orgs: dict[str, str]) -> str:
    if not alert.org_code:
        return "system-wide"
    name = orgs.get(alert.org_code)
    return f"{alert.org_code} {name}" if name else alert.org_code


def _minutes(delta_seconds: float) -> str:
    minutes = int(delta_seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def message_id(alerts: list[OpenAlert], to: Recipient, hub_id: str) -> str:
    """The same for the same alerts to the same address: a resend after a server went quiet before
    confirming (it may have taken the first) is the same message, which mail systems can drop."""
    key = "\n".join([hub_id, to.address.casefold(), *sorted(a.id for a in alerts)])
    return f"<scc-escalation-{hashlib.sha256(key.encode()).hexdigest()[:40]}@scc-feed-hub>"


def compose(alerts: list[OpenAlert], to: Recipient, sender: str, orgs: dict[str, str], now: datetime,
            hub_id: str, first_tried: datetime | None = None, tries: int = 1, doubts: dict | None = None,
            unchecked: str | None = None) -> EmailMessage:
    """One email to ``to`` about ``alerts`` (at least one), the worst first. ``first_tried``: when the
    hub first tried to send it, when that was earlier (the email says how late it is).  ``doubts``:
    alert id -> the findings that doubt its figures (``sync.hub.figures_doubt.Doubt``); ``unchecked``:
    why the figures could not be checked, if they could not."""
    doubts = doubts or {}
    alerts = sorted(alerts, key=lambda a: (_RANK.get(a.severity, 3), a.raised_at, a.id))
    first = alerts[0]
    headline = f"{first.rule_name or first.rule_id} - {_provider(first, orgs)}"
    doubted = sum(1 for a in alerts if doubts.get(a.id))
    if len(alerts) == 1:
        flag = ", figures in doubt" if doubted else ""
        subject = f"[SCC] {first.severity.upper()} alert not acknowledged{flag}: {headline}"
    else:
        flag = f", {doubted} with figures in doubt" if doubted else ""
        subject = (f"[SCC] {len(alerts)} alerts not acknowledged (worst {first.severity.upper()}{flag}): "
                   f"{headline}, and {len(alerts) - 1} more")
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())   # no line breaks from a rule name in a header
    msg["From"] = sender
    msg["To"] = to.address
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(alerts, to, hub_id)
    msg.set_content(_body(alerts, to, orgs, now, hub_id, first_tried, tries, doubts, unchecked))
    return msg


MAX_DOUBTS = 3   # findings written out under one alert; the rest counted (the Data quality view has them)


def _doubt_lines(found: list) -> list[str]:
    lines = [f"  {d.words}" for d in found[:MAX_DOUBTS]]
    if len(found) > MAX_DOUBTS:
        lines.append(f"  ... and {len(found) - MAX_DOUBTS} more data-quality findings on these figures "
                     "(SCC Desktop's Data quality view lists them).")
    return lines


def _body(alerts: list[OpenAlert], to: Recipient, orgs: dict[str, str], now: datetime, hub_id: str,
          first_tried: datetime | None, tries: int, doubts: dict, unchecked: str | None) -> str:
    many = len(alerts) > 1
    lines = [f"Dear {to.name}," if not to.fallback else "To the SCC fallback address,", ""]
    if first_tried is not None and (now - first_tried).total_seconds() >= 60:
        lines += [f"This email is {_minutes((now - first_tried).total_seconds())} late: the hub first tried to "
                  f"send it at {uk_time(first_tried)} and the mail server did not take it until now "
                  f"({tries} tries). Check the alert centre for what has happened since.", ""]
    what = f"{len(alerts)} alerts have" if many else "An alert has"
    if to.fallback:
        lines += [f"{what} not been acknowledged in the SCC in time, and it cannot go to the person on call: "
                  f"{to.reason}. Please make sure someone picks {'them' if many else 'it'} up.", ""]
    else:
        lines += [f"You are on call now ({to.rota} rota). {what} not been acknowledged in the SCC in time.", ""]
        if to.reason:   # in core hours with nobody on the in-hours rota: the out-of-hours rota instead
            lines += [f"It comes to you because {to.reason}.", ""]
    doubted = sum(1 for a in alerts if doubts.get(a.id))
    if doubted:
        which = ("The figures behind this alert are" if not many else
                 f"The figures behind {doubted} of these alerts are")
        lines += [f"{which} in doubt: the data-quality checks the SCC's desktops run find them wrong or "
                  f"unlikely (the reason{'s are' if many else ' is'} under \"In doubt\" below). It comes to you "
                  "all the same, as the alert may be real: check the figures with the provider before acting "
                  "on them.", ""]
    for a in alerts[:MAX_LISTED]:
        waited = _minutes((now - a.raised_at).total_seconds())
        lines += [f"{a.severity.upper()}: {a.rule_name or a.rule_id}",
                  f"  Provider:  {_provider(a, orgs)}",
                  f"  Raised:    {uk_time(a.raised_at)} (not acknowledged for {waited})",
                  *([f"  Flapping:  raised {a.run_raises} times since {uk_time(a.run_since)}, cleared in between, "
                     "never acknowledged"] if a.run_since is not None and a.run_raises > 1 else []),
                  *([f"  Reached:   the hub at {uk_time(a.reached_at)}, {_minutes(a.late_minutes * 60)} after it "
                     "was raised (the data came late)"] if a.late_minutes >= 5 else []),
                  f"  Detail:    {a.detail}",
                  *_doubt_lines(doubts.get(a.id) or []),
                  f"  Alert id:  {a.id}", ""]
    if len(alerts) > MAX_LISTED:
        extra = sum(1 for a in alerts[MAX_LISTED:] if doubts.get(a.id))
        lines += [f"... and {len(alerts) - MAX_LISTED} more, listed in SCC Desktop's alert centre"
                  + (f" ({extra} of them with figures in doubt)" if extra else "") + ".", ""]
    if unchecked and unchecked.startswith(UNCHECKED_LATE):
        lines += ["The hub could not check these figures for data-quality problems in time (it does not hold "
                  "this email back for them); SCC Desktop's alert centre says if any are in doubt.", ""]
    elif unchecked:
        lines += ["The hub could not check these figures for data-quality problems this time; SCC Desktop's "
                  "alert centre says if any are in doubt.", ""]
    ack = alerts[0].id if not many else "ALERT-ID"
    lines += ["To acknowledge: open SCC Desktop and use the alert banner or the alert centre, or run",
              f"    scc-desktop alerts ack {ack} --note \"what was done\"",
              "Acknowledging in the app clears the alert on every desktop in the room.", "",
              f"Sent by the SCC feed hub {hub_id} at {uk_time(now)}. This email holds no patient data."]
    return "\n".join(lines) + "\n"
