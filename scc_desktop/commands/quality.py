"""``scc-desktop quality list``: the open data-quality findings, each naming the provider, the
metric, the offending submission and what would fix it (``models.service.quality``).

The checks run first (one write transaction on the replica), so the list is as of now even when
the app is closed; ``--no-refresh`` lists what the last run found.  Exit codes: 0 success
(findings or not); 2 bad input (a filter, a replica that cannot be opened).
"""

from __future__ import annotations

import json
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError


def register(subparsers) -> None:
    quality = subparsers.add_parser("quality", help="data-quality findings: late, missing, impossible, quarantined")
    sub = quality.add_subparsers(dest="quality_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list the open findings (newest first)")
    listing.add_argument("--path", type=Path, default=None, help="replica file (default: the per-user data folder)")
    listing.add_argument("--json", action="store_true", help="one JSON array of findings")
    listing.add_argument("--org", default=None, help="only this provider (ODS code)")
    listing.add_argument("--check", default=None, help="only this check (late, missing, jump, ...)")
    listing.add_argument("--summary", action="store_true", help="per provider over the last 7 days instead")
    listing.add_argument("--no-refresh", action="store_true", help="do not run the checks first")
    listing.set_defaults(handler=_list)


def _list(args) -> int:
    from models.replica.orm.types import utcnow
    from models.service import quality, submission_sender
    from models.uk_time import uk_time
    from scc_desktop import unlock

    now = utcnow()
    with unlock.open_store(args.path or paths.default_replica()) as store:
        if not args.no_refresh:
            quality.run_checks(store, now)
        if args.summary:
            return _summary(quality.provider_summary(store, now), args.json)
        try:
            found = quality.open_findings(store, org_code=args.org, check=args.check)
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
        subs = quality.submissions_of(store, found)   # who sent each finding's figures, by which door
    if args.json:
        print(json.dumps([{**f.as_json(), "sent_by": _sent_by_json(subs.get(f.id))} for f in found],
                         indent=1, ensure_ascii=False))
        return 0
    for f in found:
        where = " ".join(x for x in (f.org_code, f.metric) if x)
        sub = subs.get(f.id)
        print(f"{uk_time(f.raised_at)}  {f.severity:<7}  {f.check:<17}  {where}\n    {f.detail}"
              + (f"\n    submission: {f.submission}" if f.submission else "")
              + (f"\n    {submission_sender.line(sub and sub.sender)}" if f.submission else ""))
    if not found:
        print("No open data-quality findings.")
    return 0


def _sent_by_json(sub) -> dict | None:
    """A finding's sender for ``--json``: None when it names no submission or the hub did not record it."""
    s = None if sub is None else sub.sender
    if s is None:
        return None
    return {"user": s.user, "door": s.door, "token_id": s.token_id, "caller": s.caller, "words": s.words()}


def _summary(rows, as_json: bool) -> int:
    if as_json:
        print(json.dumps([{"org_code": r.org_code or None, "open": r.open, "raised_7d": r.raised,
                           "cleared_7d": r.cleared, "by_check": r.by_check} for r in rows], indent=1))
        return 0
    for r in rows:
        checks = ", ".join(f"{k} {v}" for k, v in r.by_check.items())
        print(f"{r.org_code or '(system)':<10} open {r.open:>3}  raised {r.raised:>3}  "
              f"cleared {r.cleared:>3}  {checks}")
    if not rows:
        print("No data-quality findings in the last 7 days.")
    return 0
