"""``hub serve --snapshots DIR --snapshot-every HOURS [--prune-keep-days D]``: the hub publishes a
snapshot (and prunes the feed) on a timer of its own (docs/retention.md).

The work is the admin command's, in a child process: ``scc-desktop hub snapshot make --snapshots DIR
--db URL [--prune-keep-days D]`` (applying a day of the feed is seconds of CPU; in a thread of the
serve process it would hold the interpreter lock the requests need).  A thread of the serve process
only waits for the time and starts the child, niced below the hub; it never touches a request.  The
child holds the folder's lock (``.make.lock``) as any make does: with several hub processes on one
folder (``--reuse-port``), the one whose timer fires while another's make runs does nothing and says
so.  When a make is due is read from the folder (the newest published snapshot's ``made_at`` plus the
interval), so a restarted hub, or a second one, does not make another at once.  Every run is logged
on the serve process's standard error, one line each: started, its summary, or why it failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

RETRY_S = 600.0   # after a run that did nothing (the lock was held) or failed: at most this long to the next
STOP_WAIT_S = 5.0   # a child still running at the hub's exit: asked to stop, then killed after this


def say(line: str) -> None:
    print(f"snapshot timer: {line}", file=sys.stderr, flush=True)


def command(folder: Path, db_url: str, keep_days: float | None) -> list[str]:
    cmd = [sys.executable, "-m", "scc_desktop", "hub", "snapshot", "make", "--snapshots", str(folder),
           "--db", db_url]
    if keep_days is not None:
        cmd += ["--prune-keep-days", f"{keep_days:g}"]
    return cmd


def newest_made_at(folder: Path, hub=None) -> datetime | None:
    """When the newest published snapshot was made; with ``hub``, the newest its database agrees with."""
    from sync.hub import snapshot_check, snapshot_files

    if hub is None:
        found = snapshot_files.current(folder)
    else:
        with hub.db.read() as conn:
            found = snapshot_files.current(folder, snapshot_check.checker(hub.db, conn))
    return found[0].made_at if found else None


def disagreed(folder: Path, hub) -> bool:
    """Whether ``hub``'s database disagrees with a published snapshot (put back from a backup made before it)."""
    from sync.hub import snapshot_check, snapshot_files

    with hub.db.read() as conn:
        return bool(snapshot_files.hidden(folder, snapshot_check.checker(hub.db, conn)))


class SnapshotTimer:
    """Makes (and prunes) every ``every_s`` seconds in a child process, until :meth:`stop`."""

    def __init__(self, folder: Path, db_url: str, every_s: float, keep_days: float | None = None, *,
                 nice: int = 10) -> None:
        self.folder, self.db_url, self.every_s, self.keep_days, self.nice = folder, db_url, every_s, keep_days, nice
        self._stop = threading.Event()
        self._child: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="snapshot-timer", daemon=True)
        self.runs = 0
        self._last_run: float | None = None   # time.monotonic() a run of this timer started
        # Session 30: the serving hub (``hub serve`` sets it once the hub is open). A snapshot its database
        # disagrees with (the database was put back from a backup) is not served; the make that replaces it
        # runs at once, not an interval after it was made.
        self.hub = None

    def start(self) -> "SnapshotTimer":
        what = f"a snapshot of the feed every {self.every_s / 3600:g} h into {self.folder}"
        if self.keep_days is not None:
            what += f", then pruning positions older than {self.keep_days:g} days that it holds"
        say(what)
        self._thread.start()
        return self

    def due_in(self) -> float:
        """Seconds until the next make: the interval after the newest snapshot (made by any process)
        and after this timer's own last run (one that kept an unmoved snapshot publishes nothing)."""
        made = newest_made_at(self.folder, self.hub)
        due = 0.0
        if made is not None:
            due = self.every_s - (datetime.now(timezone.utc) - made).total_seconds()
        since = None if self._last_run is None else time.monotonic() - self._last_run
        if self.hub is not None and self.folder.is_dir() and disagreed(self.folder, self.hub):
            return 0.0 if since is None else max(0.0, min(self.every_s, RETRY_S) - since)
        if since is not None:
            due = max(due, self.every_s - since)
        return max(0.0, due)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.due_in()
            except Exception as exc:  # noqa: BLE001 -- a folder that cannot be read: retried, said
                say(f"cannot read {self.folder} ({exc}); trying again in {RETRY_S:g} s")
                wait = RETRY_S
            if self._stop.wait(wait):
                return
            made = self.run_once()
            if not made:   # the lock was held by another process's make, or it failed: not in a tight loop
                self._stop.wait(min(self.every_s, RETRY_S))

    def run_once(self) -> bool:
        """One make (and prune) in a child process; True if it published."""
        self.runs += 1
        started = self._last_run = time.monotonic()
        kwargs = {"preexec_fn": self._in_child} if os.name == "posix" else {}
        with self._lock:
            if self._stop.is_set():
                return False
            say(f"making a snapshot (run {self.runs})")
            self._child = subprocess.Popen(command(self.folder, self.db_url, self.keep_days),
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                           stdin=subprocess.DEVNULL, **kwargs)
        try:
            out, err = self._child.communicate()
        finally:
            code = self._child.returncode
            with self._lock:
                self._child = None
        took = time.monotonic() - started
        if self._stop.is_set():
            say(f"stopped with the hub after {took:.1f} s (the next make carries on from the working replica)")
            return False
        if code != 0:
            reason = (err.strip().splitlines() or [f"exit code {code}"])[-1]
            say(f"no snapshot this time ({reason}) after {took:.1f} s")
            return False
        try:
            done = json.loads(out)
        except ValueError:
            say(f"made, but its summary could not be read after {took:.1f} s: {out.strip()[-300:]}")
            return True
        published = done.get("published") or {}
        because = str(published.get("because") or "")   # at the same position: the copy changed, or was unreadable
        again = because and not because.startswith(("the feed moved", "nothing published"))
        verb = ("the feed has not moved: kept" if published.get("unchanged") else
                f"published again ({because})" if again else "published")
        line = (f"{verb} the snapshot at position {published.get('position')} "
                f"({(published.get('size') or 0) / 1e6:,.1f} MB, {done.get('applied')} positions applied) "
                f"in {took:.1f} s")
        pruned = done.get("pruned")
        if pruned is not None:
            line += (f"; pruned {pruned['deleted']} positions, the feed now starts after {pruned['pruned_through']}")
        say(line)
        return True

    def _in_child(self) -> None:
        """In the child before it runs: below the hub's priority, and (Linux) ended if the hub dies."""
        if self.nice:
            os.nice(self.nice)
        if sys.platform.startswith("linux"):
            import ctypes
            import signal

            ctypes.CDLL(None).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG

    def stop(self) -> None:
        """End the timer; a make under way is asked to stop (SIGTERM), then killed after a bound.
        A make cut short leaves the published snapshots as they were (each batch commits with its
        cursor in the working replica; a snapshot is renamed into place only when complete)."""
        self._stop.set()
        with self._lock:
            child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(STOP_WAIT_S)
        self._thread.join(STOP_WAIT_S)


def from_args(args, db_url: str) -> SnapshotTimer | None:
    """The timer ``hub serve`` was asked for, or None; a bad combination is a ``UserError``."""
    from scc_desktop.errors import UserError

    every = getattr(args, "snapshot_every", None)
    keep = getattr(args, "prune_keep_days", None)
    if every is None:
        if keep is not None:
            raise UserError("--prune-keep-days: only with --snapshot-every (the feed is pruned after each "
                            "snapshot, never past it)", 2)
        return None
    if args.snapshots is None:
        raise UserError("--snapshot-every: give the folder to publish in with --snapshots DIR", 2)
    if not every > 0:
        raise UserError(f"--snapshot-every {every:g}: must be more than 0 hours", 2)
    if keep is not None and keep < 0:
        raise UserError(f"--prune-keep-days {keep:g}: must be 0 or more", 2)
    return SnapshotTimer(Path(args.snapshots), db_url, every * 3600, keep)
