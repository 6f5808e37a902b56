"""Incomplete OPEL assessments: which parameters a provider's newest score lacks."""

from __future__ import annotations

from collections.abc import Iterable

from models.rules.quality.facts import Assessment
from models.rules.quality.finding import Finding
from models.uk_time import uk_time


def incomplete_opel(newest: Iterable[Assessment]) -> list[Finding]:
    """``newest``: each provider's newest OPEL assessment.  Clears when a complete one follows."""
    out = []
    for a in newest:
        if a.complete and not a.missing and not a.older:
            continue
        older = ""
        if a.older:
            when = f" ({uk_time(a.newest_at)})" if a.newest_at else ""
            older = (f"{len(a.older)} parameter(s) its newest submission{when} left out are scored on older "
                     f"figures: {', '.join(a.older)}.")
        if a.older and not a.missing:
            # Scored whole, some figures older (a provider form's "Send changes" sends only what changed):
            # not missing, but the room should know the score mixes times.
            out.append(Finding(
                "incomplete_opel", a.org_code, None,
                f"The OPEL assessment of {a.org_code} ({a.pillar}) at {uk_time(a.assessed_at)}: {older} It clears "
                f"when {a.org_code} sends every parameter together (the provider form's \u201cSend all as now\u201d).",
                severity="warning", submission=a.ref, at=a.assessed_at))
            continue
        named = ", ".join(f"{key} ({why})" if why else key
                          for key, why in zip(a.missing, a.problems + ("",) * len(a.missing))) or "(not named)"
        floor = f" The present parameters put it at OPEL {a.at_least_level} or worse." if a.at_least_level else ""
        out.append(Finding(
            "incomplete_opel", a.org_code, None,
            f"The OPEL assessment of {a.org_code} ({a.pillar}) at {uk_time(a.assessed_at)} is incomplete: "
            f"missing {named}.{floor}{' ' + older if older else ''} It clears when {a.org_code} submits the "
            "missing parameter(s).",
            severity="warning", submission=a.ref, at=a.assessed_at))
    return out
