"""``scc-desktop hub snapshot``: the snapshot new desktops join from, and the feed's retention.

- ``hub snapshot make --snapshots DIR [--no-publish]``: apply the feed to the folder's working
  replica up to the head and publish a copy (``hub serve --snapshots DIR`` serves it) when it differs
  from the newest published; run it from a timer (daily is plenty: a desktop joins from the snapshot,
  then reads the tail)
- ``hub snapshot show --snapshots DIR [--json]``: the published snapshots and the retention horizon, each marked
  served or hidden (the hub's database disagrees with it: put back from a backup made before it), with why
- ``hub snapshot prune --snapshots DIR --keep-days D``: delete the bulk provider positions older
  than D days that the newest snapshot holds (docs/retention.md)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scc_desktop.errors import UserError


def register(sub, db_arg, open_hub) -> None:
    snap = sub.add_parser("snapshot", help="the snapshot new desktops join from; the feed's retention")
    ssub = snap.add_subparsers(dest="snapshot_command", metavar="ACTION", required=True)

    def folder(p):
        db_arg(p, create=False)
        p.add_argument("--snapshots", type=Path, required=True, metavar="DIR",
                       help="the snapshot folder (the one 'hub serve --snapshots' serves)")

    p = ssub.add_parser("make", help="bring the snapshot replica up to the feed's head and publish it")
    folder(p)
    p.add_argument("--no-publish", action="store_true", help="only bring the working replica up to date")
    p.add_argument("--prune-keep-days", type=float, default=None, metavar="D",
                   help="after publishing, prune as 'hub snapshot prune --keep-days D' does, under the same lock "
                        "('hub serve --snapshot-every' runs this)")
    p.set_defaults(handler=lambda args: _make(args, open_hub))

    p = ssub.add_parser("show", help="the published snapshots (those the hub will not serve marked, with why) "
                                     "and the feed's retention horizon")
    folder(p)
    p.add_argument("--json", action="store_true", help="one JSON object (the default is text)")
    p.set_defaults(handler=lambda args: _show(args, open_hub))

    p = ssub.add_parser("prune", help="delete bulk provider positions the snapshot holds, older than --keep-days")
    folder(p)
    p.add_argument("--keep-days", type=float, required=True, metavar="D",
                   help="keep every position younger than D days (a desktop offline longer joins again)")
    p.set_defaults(handler=lambda args: _prune(args, open_hub))


def _make(args, open_hub) -> int:
    from sync.hub import snapshot, snapshot_check, snapshot_files

    hub = open_hub(args, alerts=False)
    try:
        def progress(position, head):
            print(f"applied up to {position} of {head}", file=sys.stderr, flush=True)
        keep = args.prune_keep_days
        if keep is not None and (keep < 0 or args.no_publish):
            raise UserError(f"--prune-keep-days {keep:g}: must be 0 or more, and not with --no-publish "
                            "(the feed is pruned only up to a published snapshot)", 2)
        pruned, removed = None, []
        try:
            with snapshot.making(args.snapshots):
                done = snapshot.update(hub, args.snapshots, progress=progress)
                info, unchanged, why = None, False, None
                if not args.no_publish:
                    # Published again only when the copy differs from the newest snapshot: the feed moved, or
                    # at the same position the make changed it (transfer changes given their seen, a newer
                    # schema). Beside the one kept, never over it: a desktop may be downloading that one
                    # under the description it was given (sync.hub.snapshot_files.free_name).
                    # Session 30: a snapshot the hub's database disagrees with (it was put back from a backup
                    # made before it) is not served (sync.hub.snapshot_check): it is replaced, and removed.
                    with hub.db.read() as conn:
                        agrees = snapshot_check.checker(hub.db, conn)
                        hidden = snapshot_files.hidden(args.snapshots, agrees)
                        newest = snapshot_files.current(args.snapshots, agrees)
                    why = "nothing published yet" if newest is None else snapshot.differs(args.snapshots, newest)
                    if why is None and newest[0].mark is None and snapshot.hub_mark(hub, newest[0].position):
                        why = "the published snapshot carries no feed mark (made before session 30)"
                    unchanged = why is None
                    info = newest[0] if unchanged else snapshot.publish(args.snapshots, hub.db.hub_id, hub=hub)
                    for old, path, because in hidden:
                        snapshot_files.remove(path.with_suffix(".json"))
                        snapshot_files.remove(path)
                        removed.append({"position": old.position, "sha256": old.sha256, "because": because})
                if keep is not None:
                    from sync.hub import retention

                    pruned = retention.prune(hub, info.position, keep)
        except (snapshot.SnapshotError, snapshot.StoreError) as exc:
            raise UserError(str(exc)) from None
        print(json.dumps({"from": done.start, "position": done.position, "applied": done.applied,
                          "quarantined": done.quarantined, "transfer_seen_given": done.seen_given,
                          **({"transfer_seen_problem": done.seen_problem} if done.seen_problem else {}),
                          **({"working_replica_made_again": done.restarted} if done.restarted else {}),
                          **({"removed": removed} if removed else {}),
                          "published": None if info is None else {"position": info.position, "size": info.size,
                                                                  "sha256": info.sha256,
                                                                  "unchanged": unchanged,
                                                                  **({"because": why} if why else {})},
                          "pruned": None if pruned is None else {"pruned_through": pruned.horizon,
                                                                 "before": pruned.previous,
                                                                 "deleted": pruned.deleted}}, indent=2))
    finally:
        hub.close()
    return 0


def _show(args, open_hub) -> int:
    from models.uk_time import uk_time
    from sync.hub import retention, snapshot_check, snapshot_files

    hub = open_hub(args, alerts=False)
    try:
        with hub.db.read() as conn:
            horizon = retention.pruned_through(conn)
            head = hub.db.head(conn)
            published = snapshot_files.newest_first(
                snapshot_files.published(args.snapshots) if args.snapshots.is_dir() else [])
            # As GET /v1/snapshot judges them (session 30): one the database disagrees with is not served.
            hidden = {i.sha256: snapshot_check.why_not(hub.db, conn, i) for i, _path in published}
    finally:
        hub.close()
    served = next((i.sha256 for i, path in published if path.exists() and not hidden[i.sha256]), None)
    shown = []
    for i, path in published:
        why = hidden[i.sha256] or (None if path.exists() else "its file is missing")
        shown.append({"position": i.position, "size": i.size, "sha256": i.sha256,
                      "schema_revision": i.schema_revision, "made_at": i.made_at.isoformat(), "file": str(path),
                      "served": i.sha256 == served, "hidden": why is not None, **({"because": why} if why else {})})
    if args.json:
        print(json.dumps({"head": head, "pruned_through": horizon, "snapshots": shown}, indent=2))
        return 0
    print(f"Feed head {head:,}; " + (f"pruned through position {horizon:,}" if horizon else "nothing pruned"))
    if not shown:
        print(f"No snapshot published in {args.snapshots}: 'hub snapshot make' publishes one.")
    for s, (i, _path) in zip(shown, published):
        word = ("served to joining desktops" if s["served"] else
                f"HIDDEN, not served: {s['because']}" if s["hidden"] else "kept (an older one, still downloadable)")
        print(f"- position {i.position:,}, made {uk_time(i.made_at)}, {i.size / 1e6:,.1f} MB, sha256 "
              f"{i.sha256[:12]}: {word}")
    if any(s["hidden"] for s in shown):
        print("The next 'hub snapshot make' makes a snapshot this database agrees with and removes the hidden ones.")
    return 0


def _prune(args, open_hub) -> int:
    from sync.hub import retention, snapshot, snapshot_check, snapshot_files

    if args.keep_days < 0:
        raise UserError(f"--keep-days {args.keep_days:g}: must be 0 or more", 2)
    hub = open_hub(args, alerts=False)
    try:
        # Session 30: never up to a snapshot the database disagrees with (put back from a backup made before it):
        # the positions it holds are not the feed's, and a prune up to it would delete what no snapshot holds.
        with hub.db.read() as conn:
            found = snapshot_files.current(args.snapshots, snapshot_check.checker(hub.db, conn))
        if found is None:
            raise UserError(f"there is no published snapshot in {args.snapshots} that this hub's feed agrees with: "
                            "nothing may be pruned before one exists ('hub snapshot make')")
        with snapshot.making(args.snapshots):   # not beside a make (a timer's): one at a time
            done = retention.prune(hub, found[0].position, args.keep_days)
    except snapshot.SnapshotError as exc:
        raise UserError(str(exc)) from None
    finally:
        hub.close()
    print(json.dumps({"pruned_through": done.horizon, "before": done.previous, "deleted": done.deleted}, indent=2))
    return 0
