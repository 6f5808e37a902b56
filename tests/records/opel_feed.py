"""OPEL assessments at a given level, put on a real replica through ``sync.apply`` as the hub sends them."""

from __future__ import annotations

from datetime import datetime

from tests.ui.feeds import Feed, iso


def assessment(feed: Feed, at: datetime, level: int | None, *, scope: str = "provider",
               org: str | None = "RTEST1", pillar: str = "acute", declared: int | None = None,
               reason: str | None = None) -> Feed:
    return feed.add("opel_assessment", {
        "scope": scope, "org_code": org if scope == "provider" else None, "pillar": pillar,
        "assessed_at": iso(at), "edition": "test edition", "verified": False, "total": None,
        "level": level, "at_least_level": None, "complete": level is not None,
        "declared_level": declared, "override_reason": reason, "parameters": []})
