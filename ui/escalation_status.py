"""What the window says of the hub's escalation by e-mail (``sync.hub_escalation.Said``): a word in
the status bar, its tooltip, and, when the hub e-mails nobody, a line at the top of the alert centre.
A hub that also pages through a gateway (its second channel) has that said after the e-mail's word:
"paging on", or "paging FAILING" (amber) while its last page failed.

Three cases, never confused: the hub said ``on``; the hub said ``off`` (started without escalation
settings, or its check stopped or stuck); the hub said nothing (one older than this desktop): "not told",
which claims neither. Before any answer (no hub, not reached yet) nothing is shown. A ``/health`` silent
for ten minutes (``sync.hub_escalation.UNKNOWN_AFTER``) makes any of them "not known since HH:MM", amber.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel

from ui import format as fmt

if TYPE_CHECKING:   # annotations only: the window's first paint loads no pydantic or requests
    from sync.hub_escalation import Said

OFF_STYLE = "background:#f2b705;color:#111111;font-weight:bold;padding:1px 6px;"   # as the stale banner
OFF_WORD = "Escalation e-mail OFF"
ON_WORD = "Escalation e-mail on"
NOT_TOLD_WORD = "Escalation e-mail: hub does not say"
# After the e-mail's word, the second channel's (paging through a gateway), when the hub has one.
PAGE_WORDS = {"ok": " · paging on", "failing": " · paging FAILING", "off": " · paging OFF"}
UNKNOWN_WORD = "Escalation e-mail: not known since {since}"
OFF_NOTE = ("The hub e-mails nobody about alerts: escalation is off. An alert nobody acknowledges here "
            "reaches nobody on call: phone the on-call yourself.")


def _as_of(said: Said) -> str:
    return f" (as the hub said at {fmt.local_time(said.learned_at)})" if said.learned_at else ""


def _since(said: Said) -> str:
    """The last answer's time; its day too when that is not the day it was found old (UK)."""
    day = fmt.local_time(said.unknown_since, with_date=True)[:10] != fmt.local_time(
        said.unknown_seen_at or said.unknown_since, with_date=True)[:10]
    return fmt.local_time(said.unknown_since, with_date=day)


def word(said: Said | None) -> str:
    if said is None:
        return ""
    if said.unknown_since is not None:
        return UNKNOWN_WORD.format(since=_since(said))
    if not said.told:
        return NOT_TOLD_WORD
    return (ON_WORD if said.on else OFF_WORD) + PAGE_WORDS.get(said.page, "")


def page_failing(said: Said | None) -> bool:
    """The hub pages through a gateway and its last page failed, or its paging check stopped."""
    return said is not None and said.unknown_since is None and said.page in ("failing", "off")


def _page_tip(said: Said) -> str:
    if said.page is None:
        return (" The hub pages nobody through a gateway: e-mail is its only channel." if said.told and said.on
                else "")
    where = f" through {said.page_gateway}" if said.page_gateway else ""
    if said.page == "ok":
        return (f" When an alert's e-mail fails, or has not gone in time, the hub pages the on-call{where}; "
                "its paging works.")
    when = f" at {fmt.local_time(said.page_error_at)}" if said.page_error_at else ""
    return (f" The hub's paging{where} is failing: its last page failed{when} ({said.page_error or 'no reason given'})."
            " A page may not reach the on-call: phone them about an alert nobody here has acknowledged.")


def _last_said(said: Said) -> str:
    if not said.told:
        return "nothing of it (a hub older than this desktop)"
    if said.on:
        return "it e-mails whoever is on call"
    return f"it e-mails nobody ({said.reason or 'no reason given'})"


def tooltip(said: Said | None) -> str:
    if said is None:
        return ""
    if said.unknown_since is not None:
        return (f"The hub has not said since {fmt.local_time(said.unknown_since, with_date=True)} whether it "
                "e-mails whoever is on call about an alert nobody acknowledged: its /health has given no answer "
                "since then, while the data may still come (a proxy or firewall in the way, say). Then it said: "
                f"{_last_said(said)}. Until it answers, do not count on that e-mail: phone the on-call about "
                "an alert nobody here has acknowledged.")
    if not said.told:
        return ("The hub does not say whether it e-mails whoever is on call about an alert nobody "
                "acknowledged (a hub older than this desktop). Ask the hub's administrator." + _as_of(said))
    if said.on:
        last = f" Its last check ended at {fmt.local_time(said.last_check_at)}." if said.last_check_at else ""
        return ("The hub e-mails whoever is on call about an alert nobody acknowledged in its rule's time."
                + last + _page_tip(said) + _as_of(said))
    return (f"{OFF_NOTE} The hub says: {said.reason or 'no reason given'}." + _page_tip(said) + _as_of(said))


def show_in(label: QLabel, said: Said | None) -> None:
    """The status bar's escalation word: hidden before the hub has answered."""
    text = word(said)
    label.setText(text)
    label.setToolTip(tooltip(said))
    label.setAccessibleName(f"Escalation: {text}" if text else "Escalation")
    amber = said is not None and (said.off or said.unknown_since is not None or page_failing(said))
    label.setStyleSheet(OFF_STYLE if amber else "")
    label.setVisible(bool(text))


def note(said: Said | None) -> str:
    """The alert centre's line: only when the hub said it e-mails nobody."""
    if said is None or not said.off:
        return ""
    return f"{OFF_NOTE} The hub says: {said.reason or 'no reason given'}."
