"""The week ahead on ``/m/``: the desktop's daily forecasts (``models.service.week_ahead``), worked out on
the hub from its own feed, so a phone and the room give the same figures.

The desktop's door reads three tables of its replica: ``organisation`` (the acute sites),
``handover_event`` (each ambulance's arrival and handover, folded from the feed's ``handover`` items)
and ``observation`` (G&A bed occupancy).  The hub keeps the same three, for those items only, in a
small SQLite file of its own (the *mirror*, in a private temporary folder), filled as the desktop's
sync fills its replica:

- a ``handover`` item is folded into its event as ``sync.apply._handover_upsert`` folds it (the first
  item's hospital stays; each time given replaces the one held; the state only moves forward; a
  repeated position changes nothing), and an item the replica's CHECK would refuse (a handover before
  the arrival) is left out, as the desktop's savepoint leaves it out;
- an occupancy observation is kept as the replica keeps it (a row a feed position);
- the organisations are the hub's own table, copied at each read.

Then the desktop's own function, ``week_ahead(mirror, now)``, reads the mirror: the same SQL, the same
UK days, the same system, the same engine.  Nothing is computed a second way.

Bounded: the first read starts at the first position written in the ``KEPT`` days before the feed's
newest (found by halving, ``board._first_since``), a stretch of positions at a time; later reads
go on from the last position read.  The mirror lets go of events that arrived, and figures observed,
more than ``KEPT`` days before the newest (each site's first arrival is kept: the desktop's door
counts a site's days from the day after it).  Its rows live in the file, not in the hub's memory
(SQLite's page cache: ``CACHE_KB``).

Working the forecasts out takes about half a second for 22 sites, so a page never waits for it:
``latest`` gives the last result and starts a new one in a thread when the feed has moved and
``REFRESH`` has passed (the desktop's view reads again after five minutes too), or at a new UK day.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
import tempfile
import threading
import traceback
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import apsw
from sqlalchemy import cast, exists, func, select

from models.replica.ingest import ObservationValidator
from models.replica.utc import to_utc_text
from models.rules.catalogue import load_catalogue
from models.service import week_ahead as door
from models.uk_time import UK
from sync import protocol as p
from sync.hub import schema as s
from sync.hub import snapshot_check
from sync.hub.retention import pruned_through
from sync.hub.web import snapshot_seed, week_shared

log = logging.getLogger("sync.hub")
KEPT = timedelta(days=door.HISTORY_DAYS + 3)   # the twelve weeks, and a margin for a stale origin and UK days
REFRESH = timedelta(minutes=5)
EMPTY_REFRESH = timedelta(seconds=30)   # while nothing has a forecast: about one work-out per page refresh
LOOK_AGAIN = timedelta(seconds=10)      # another process working it out: its result looked for this often
SLOW = week_shared.CLAIM                # a work-out running longer says where its thread is, in the log
STRETCH = 50_000        # feed positions read at a time
CACHE_KB = 4_000        # the mirror's SQLite page cache
_RANK = {"en_route": 0, "arrived": 1, "handed_over": 2, "cleared": 3, "cancelled": 4}

_SCHEMA = """
CREATE TABLE organisation (ods_code TEXT PRIMARY KEY, name TEXT NOT NULL, sector TEXT NOT NULL,
                           active INTEGER NOT NULL);
CREATE TABLE handover_event (id INTEGER PRIMARY KEY, event_uuid TEXT NOT NULL UNIQUE,
                             hospital_code TEXT NOT NULL, state TEXT NOT NULL, arrived_at TEXT,
                             handed_over_at TEXT, feed_seq INTEGER NOT NULL,
                             CHECK (handed_over_at IS NULL OR arrived_at IS NULL OR handed_over_at >= arrived_at));
CREATE INDEX ix_handover_event_hospital_arrived ON handover_event (hospital_code, arrived_at);
CREATE TABLE observation (feed_seq INTEGER PRIMARY KEY, org_code TEXT NOT NULL, metric_code TEXT NOT NULL,
                          observed_at TEXT NOT NULL, value REAL NOT NULL);
CREATE INDEX ix_observation_org_metric_time ON observation (org_code, metric_code, observed_at, value);
"""

# sync.apply._handover_upsert, in the mirror's SQL: SET reads the row as it was before the update.
_RANK_SQL = "CASE {} " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in _RANK.items()) + " ELSE -1 END"
_UPSERT = ("INSERT INTO handover_event (event_uuid, hospital_code, state, arrived_at, handed_over_at, feed_seq) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_uuid) DO UPDATE SET "
           "arrived_at = coalesce(excluded.arrived_at, arrived_at), "
           "handed_over_at = coalesce(excluded.handed_over_at, handed_over_at), "
           f"state = CASE WHEN {_RANK_SQL.format('excluded.state')} >= {_RANK_SQL.format('state')} "
           "THEN excluded.state ELSE state END, feed_seq = excluded.feed_seq "
           "WHERE feed_seq < excluded.feed_seq")


def stored_time(text) -> str | None:
    """A feed item's time as the replica stores it (fixed-width UTC text); None for none."""
    if text is None:
        return None
    if len(text) == 32 and text.endswith("+00:00") and text[10] == "T" and text[19] == ".":
        return text
    if len(text) == 25 and text.endswith("+00:00") and text[10] == "T" and text[19] == "+":
        return text[:19] + ".000000+00:00"   # the hub's wire form of a whole second (sync.hub.schema.iso)
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError(f"time {text!r} has no UTC offset")
    return to_utc_text(value)


COLUMNS = (door.ARRIVALS, door.DELAY_30_60, door.DELAY_60, door.OCCUPANCY)
HEADS = {door.ARRIVALS: "Arrivals", door.DELAY_30_60: "30–60 min", door.DELAY_60: "Over 60 min",
         door.OCCUPANCY: "G&A beds"}


figure, interval = door.figure, door.interval   # as the room writes them (shared)


def day_words(day) -> str:
    """"Sat 5 Dec"."""
    return f"{day:%a} {day.day} {day:%b}"


@dataclass(frozen=True)
class Shown:
    """What the page shows: the last week ahead worked out (None: none yet), whether one is being
    worked out now, and when the shown one was."""
    week: door.WeekAhead | None
    working: bool
    worked_at: datetime | None = None
    failed: bool = False     # the last try failed (the hub's log says why); tried again after REFRESH

    heads = HEADS
    figure = staticmethod(figure)
    interval = staticmethod(interval)
    day = staticmethod(day_words)

    @staticmethod
    def short_day(day) -> str:
        """"Sat 5": a table row's day (the month is in the sentence over it)."""
        return f"{day:%a} {day.day}"

    @staticmethod
    def holiday(kind: str) -> str:
        """A forecast day's kind in words ("Christmas Day"; "" for an ordinary day)."""
        return door.HOLIDAY_WORDS.get(kind or "ordinary", kind.replace("_", " "))

    @property
    def history(self) -> str:
        """The history learned from, as the hub holds it ("the last twelve weeks", "the last 5 weeks
        the hub holds (up to 12 weeks are used)")."""
        return door.history_words(self.week).replace("the replica holds", "the hub holds")

    @property
    def system(self) -> door.Place | None:
        return self.week.places.get(door.SYSTEM) if self.week else None

    @property
    def sites(self) -> list[door.Place]:
        return [p for code, p in self.week.places.items() if code != door.SYSTEM] if self.week else []

    @staticmethod
    def columns(place: door.Place) -> list[door.DailySeries]:
        """The place's series with a forecast, in the table's order."""
        return [place.series[k] for k in COLUMNS if k in place.series and place.series[k].forecast.days]

    @staticmethod
    def without(place: door.Place) -> list[door.DailySeries]:
        """The place's series with too little history (each says why, in words)."""
        return [place.series[k] for k in COLUMNS if k in place.series and not place.series[k].forecast.days]

    def site(self, code: str) -> door.Place | None:
        """One acute site's place (None: not one of the week's sites)."""
        place = self.week.places.get(code) if self.week else None
        return place if code != door.SYSTEM else None

    def note(self, place: door.Place) -> str:
        """What a site's link in the list says beside its name: its feed gone quiet, a count already above
        its range today, or a measure not forecast ("" when none)."""
        words = []
        if (since := self.quiet_since(place.code)) is not None:
            words.append(f"no arrival since {day_words(since)}")
        above = [self.heads[s.measure.key] for s in self.columns(place) if s.today and s.above_range]
        if above:
            words.append(f"▲ above range today: {', '.join(above)}")
        if not self.columns(place):
            words.append("no forecast")
        elif self.without(place):
            words.append("not every measure forecast")
        return "; ".join(words)

    def quiet_since(self, code: str):
        """The day after a site's last arrival when its feed has gone quiet (the system leaves it out);
        None when it has not."""
        for left, _name, day, why in self.system.left_out if self.system else ():
            if left == code and why == "silent":
                return day
        return None

    def left_out(self, only: str | None = None) -> list[str]:
        """The sites the system's figures leave out, each with why, in words (``only``: that site's)."""
        out = []
        for code, name, day, why in self.system.left_out if self.system else ():
            if only is not None and code != only:
                continue
            if why == "later":
                out.append(f"{name} (its data starts {day_words(day)}: counted in, a new site would read as a surge)")
            else:
                out.append(f"{name} (no arrival since {day_words(day)}: a feed gone quiet is not a quiet day)")
        return out


def _stack(thread: threading.Thread) -> str:
    """Where a running thread is, as a traceback's lines ("" once it has ended)."""
    frame = sys._current_frames().get(thread.ident)
    return "".join(traceback.format_stack(frame)) if frame is not None else ""


def _forecasts_any(week: door.WeekAhead) -> bool:
    return any(series.forecast.days for place in week.places.values() for series in place.series.values())


class Mirror:
    """The three replica tables the desktop's door reads, in a private SQLite file; ``session()`` is what
    ``week_ahead`` takes as its store."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="scc-week-")   # 0700: this process's only
        self.path = os.path.join(self.folder, "week.db")
        self.conn = apsw.Connection(self.path)
        os.chmod(self.path, 0o600)
        self._closer = weakref.finalize(self, _remove, self.conn, self.folder)
        # Nothing may be left on disk however the process ends: ``hub serve`` stopped by SIGTERM dies by
        # that signal (uvicorn raises it again after its shutdown), so neither atexit nor the finalizer
        # runs, nor after a SIGKILL. The name goes at once, before the first write (a kill while the schema
        # was made left the folder: a clean-clone run, session 30); the open file stays this connection's
        # (with journal_mode OFF SQLite opens no other file beside it); the system frees it with the process.
        try:
            os.unlink(self.path)
            os.rmdir(self.folder)
        except OSError:   # Windows: an open file keeps its name; removed at close (the finalizer) instead
            pass
        for pragma in (f"cache_size = -{CACHE_KB}", "journal_mode = OFF", "synchronous = OFF"):
            self.conn.execute(f"PRAGMA {pragma}").fetchall()
        self.conn.execute(_SCHEMA).fetchall()

    @contextmanager
    def session(self):
        yield self.conn

    def close(self) -> None:
        self._closer()


def _pages(m) -> int:
    """The mirror file's size (its name is gone: see ``Mirror``)."""
    return m.execute("PRAGMA page_count").fetchall()[0][0] * m.execute("PRAGMA page_size").fetchall()[0][0]


def _remove(conn, folder: str) -> None:
    try:
        conn.close()
    except apsw.Error:   # at the process's end, a daemon thread may still be reading it
        pass
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class WeekBoard:
    """Follows the hub's feed for the week ahead; one per hub process, safe across request threads."""

    def __init__(self, db, snapshots=None, shared: bool = False) -> None:
        self.db = db
        self.snapshots = snapshots   # the hub's published snapshots: a pruned feed's first read (week_seed)
        # The result kept in the database for every hub process, and taken from it (sync.hub.web.week_shared):
        # the hub's pages; a follower of its own in tests.
        self.shared = shared
        self._looked_at: datetime | None = None   # another process was working it out when this one looked
        self._lock = threading.Lock()        # the mirror and the cursor: one follower at a time
        self._state = threading.Lock()       # the result and the thread's flag
        self._mirror: Mirror | None = None
        self.cursor = 0
        self._shown: tuple[datetime, int, door.WeekAhead] | None = None   # (worked at, cursor, result)
        self._thread: threading.Thread | None = None
        self._failed_at: datetime | None = None   # the last try failed then (None: it did not)
        self._started_at: datetime | None = None  # the thread under way was started then
        self._told_slow = False                   # its stack logged (once a thread)
        _validator()   # the catalogue read here, as the hub starts: the week-ahead thread imports nothing

    # --- the page's door ------------------------------------------------------------------------
    def latest(self, now: datetime) -> Shown:
        """The last week ahead worked out, at once; a new one is started in a thread when due."""
        stack = None
        with self._state:
            shown, running = self._shown, self._thread is not None and self._thread.is_alive()
            if not running and self._due(shown, now):
                self._thread = threading.Thread(target=self._work, name="week-ahead", daemon=True)
                self._started_at, self._told_slow = now, False
                self._thread.start()
                running = True
            elif running and not self._told_slow and now - self._started_at >= SLOW:
                self._told_slow = True
                stack = _stack(self._thread)
            failed = self._failed_at is not None
        if stack is not None:   # a thread stuck (a lock, the database) says where, not nothing
            log.warning("web: the week ahead has been worked out since %s (over %s: another hub process may "
                        "claim it); its thread is at:\n%s", self._started_at.isoformat(timespec="seconds"),
                        SLOW, stack)
        return Shown(shown[2] if shown else None, running, shown[0] if shown else None, failed)

    def _due(self, shown, now: datetime) -> bool:
        if self._failed_at is not None and now - self._failed_at < REFRESH:
            return False   # it failed: tried again after REFRESH, not at every page
        if self._looked_at is not None and now - self._looked_at < LOOK_AGAIN:
            return False   # another process is working it out: its result is looked for again soon
        if shown is None:
            return True
        at, cursor, week = shown
        if at.astimezone(UK).date() != now.astimezone(UK).date():
            return True
        # One with nothing to forecast yet (a hub that started before its feed filled: it works the week
        # out as it starts) is worked out again sooner once the feed moves, not left for REFRESH.
        # One worked out from nothing at all (no handover or occupancy yet) at once: the page said "the hub
        # holds none" for up to EMPTY_REFRESH while its other sections listed them (a walkthrough).
        wait = REFRESH if _forecasts_any(week) else EMPTY_REFRESH if week.origin is not None else timedelta(0)
        return now - at >= wait and self._head() != cursor

    def _head(self) -> int:
        with self.db.read() as conn:
            return self.db.head(conn)

    def wait(self, timeout: float | None = None) -> None:
        """Until the thread working the week ahead out (if any) has finished."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _work(self) -> None:
        try:
            now = s.utcnow()
            if self.shared and not self._claimed(now):
                return
            try:
                week = self.read(now)
            except Exception:
                if self.shared:
                    week_shared.let_go(self.db, self.db.process_tag, s.utcnow())
                raise
            if self.shared:
                week_shared.keep(self.db, self.db.process_tag, now, self._shown[1], week)
        except Exception:   # noqa: BLE001 - logged and said on the page; the last result stays shown
            log.exception("web: the week ahead could not be worked out")
            with self._state:
                self._failed_at = s.utcnow()

    def _claimed(self, now: datetime) -> bool:
        """The week another process kept taken when it is not due (every process shows the same); else
        whether this process is the one to work it out now (``week_shared.claim``)."""
        kept = week_shared.stored(self.db)
        newer = kept is not None and (self._shown is None or kept[0] > self._shown[0])
        if newer and not self._due(kept, now):
            with self._state:
                self._shown, self._failed_at, self._looked_at = kept, None, None
            return False
        if week_shared.claim(self.db, self.db.process_tag, now):
            return True
        with self._state:   # another is working it out: the newest kept meanwhile, and a look again soon
            if newer:
                self._shown, self._failed_at = kept, None
            self._looked_at = now
        return False

    # --- following and working out ----------------------------------------------------------------
    def read(self, now: datetime) -> door.WeekAhead:
        """Follow the feed to its head, then the desktop's week ahead from the mirror, as at ``now``."""
        with self._lock:
            self.follow()
            week = door.week_ahead(self._mirror, now)
            cursor = self.cursor
        with self._state:
            self._shown, self._failed_at = (now, cursor, week), None
        return week

    def follow(self) -> None:
        """Fold the feed's new positions into the mirror (call holding ``_lock``)."""
        with self.db.read() as conn:
            head = self.db.head(conn)
            if self._mirror is None or head < self.cursor:   # a first read, or another database: start again
                if self._mirror is not None:
                    self._mirror.close()
                self._mirror = Mirror()
                self.cursor = self._first_position(conn, head)
                with snapshot_seed.covering(self.snapshots, self.db.hub_id, horizon=pruned_through(conn),
                                            first=self.cursor, head=head, what="the week ahead",
                                            check=snapshot_check.checker(self.db, conn)) as found:
                    if found is not None:   # all or nothing: a snapshot failing midway leaves the mirror empty
                        snapshot_seed.seed_week(self._mirror.conn, found[0], KEPT)
                        self.cursor = found[1]
            start = self.cursor
            orgs = conn.execute(select(s.organisation.c.ods_code, s.organisation.c.name, s.organisation.c.sector,
                                       s.organisation.c.active)).all()
            m = self._mirror.conn
            with m:
                m.execute("DELETE FROM organisation")
                m.executemany("INSERT INTO organisation VALUES (?, ?, ?, ?)",
                              [(c, n, sec, int(bool(a))) for c, n, sec, a in orgs])
            for lo in range(start, head, STRETCH):
                hi = min(lo + STRETCH, head)
                self._handovers(_handover_rows(conn, lo, hi))
                fo = s.feed_observation
                obs = conn.execute(select(fo.c.org_code, fo.c.metric, fo.c.observed_at, fo.c.value, fo.c.source,
                                          fo.c.received_at, fo.c.seq).where(
                    fo.c.seq > lo, fo.c.seq <= hi, fo.c.metric == door.OCCUPANCY)).all()
                self._observations(obs + _untyped_observations(conn, lo, hi))
                self.cursor = hi
            if start < head:
                # An event that never arrived (stood down en route) is read by no forecast and has no
                # arrival to age by: let go once its last item is older than the first position kept.
                with m:
                    m.execute("DELETE FROM handover_event WHERE arrived_at IS NULL AND feed_seq <= ?",
                              (self._first_position(conn, head),))
        self.cursor = max(self.cursor, head)
        self._let_go()

    def _first_position(self, conn, head: int) -> int:
        """The position before the first one written in the ``KEPT`` days before the feed's newest."""
        from sync.hub.web.board import _first_since

        newest = conn.execute(select(s.feed.c.created_at).where(s.feed.c.seq <= head)
                              .order_by(s.feed.c.seq.desc()).limit(1)).scalar()
        return 0 if newest is None else _first_since(conn, newest - KEPT, head)

    def _handovers(self, items) -> None:
        rows = []
        for seq, uuid, hospital, state, arrived, handed in items:
            try:
                if not uuid or not hospital or state not in _RANK:
                    raise ValueError("event_uuid, hospital_code or state missing")
                rows.append((uuid, hospital, state, stored_time(arrived), stored_time(handed), seq))
            except (ValueError, TypeError) as exc:
                log.warning("web: handover item %s not understood (%s); skipped", seq, exc)
        self._upsert(rows)

    def _upsert(self, rows: list[tuple]) -> None:
        """``rows`` in order, in one transaction; when the replica's CHECK refuses one, each half again (the
        refused half rolled back whole), down to the refused item alone, left out. Each item meets the state
        every item before it left, as it did when every item was tried alone after a refusal (a transaction per
        item: 27,000 of them for six weeks of seven sites with one refused item in each stretch, 4 s a read)."""
        m = self._mirror.conn
        try:
            with m:
                m.executemany(_UPSERT, rows)
        except apsw.ConstraintError:
            if len(rows) == 1:
                log.info("web: handover item %s has a handover before its arrival; left out, as a "
                         "desktop leaves it out", rows[0][-1])
                return
            half = len(rows) // 2
            self._upsert(rows[:half])
            self._upsert(rows[half:])

    def _observations(self, items) -> None:
        """(org_code, metric, observed_at, value, source, received_at, seq) rows, each checked by the
        desktop's own rules (``sync.apply`` stores a feed observation only if the bundled catalogue's
        ``ObservationValidator`` passes it: a hub serving a ``--catalogue`` with a wider range takes
        figures every desktop quarantines)."""
        check = _validator().check
        rows = []
        for row in items:
            clean, errors = check(tuple(row))
            if clean is None:
                log.info("web: observation %s refused as a desktop refuses it (%s); left out", row[-1],
                         "; ".join(errors))
                continue
            org, metric, observed_at, value, _source, _received, seq = clean
            rows.append((seq, org, metric, observed_at, value))
        with self._mirror.conn as m:
            m.executemany("INSERT OR IGNORE INTO observation VALUES (?, ?, ?, ?, ?)", rows)

    def _let_go(self) -> None:
        """Events and figures older than ``KEPT`` before the newest let go (each site's first arrival kept)."""
        m = self._mirror.conn
        (newest,), = m.execute("SELECT max(t) FROM (SELECT max(arrived_at) AS t FROM handover_event "
                               "UNION ALL SELECT max(observed_at) FROM observation)").fetchall()
        if newest is None:
            return
        cut = to_utc_text(datetime.fromisoformat(newest) - KEPT)
        with m:
            m.execute("DELETE FROM handover_event WHERE arrived_at < ? AND id NOT IN (SELECT (SELECT id FROM "
                      "handover_event e WHERE e.hospital_code = h.hospital_code AND e.arrived_at IS NOT NULL "
                      "ORDER BY e.arrived_at LIMIT 1) FROM (SELECT DISTINCT hospital_code FROM handover_event) h)",
                      (cut,))
            m.execute("DELETE FROM observation WHERE observed_at < ?", (cut,))

    def sizes(self) -> dict[str, int]:
        """Rows the mirror holds (for the measurements in docs/forecasting.md)."""
        if self._mirror is None:
            return {}
        m = self._mirror.conn
        return {t: m.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in ("handover_event", "observation", "organisation")} | {
            "file_bytes": _pages(m)}


@functools.cache
def _validator() -> ObservationValidator:
    """The desktop's check of a feed observation: the bundled catalogue's ranges, as
    ``sync.engine.catalogue_validator`` builds them (a test holds the two equal), from modules the hub
    imports as it starts.  It was ``from sync.engine import catalogue_validator`` on the week-ahead thread:
    145 modules (requests, urllib3, ...) imported there, which a clean-clone run caught unfinished 60 s
    after the hub started (tests/web/test_week_board_imports.py)."""
    return ObservationValidator({c: (m.valid_min, m.valid_max) for c, m in load_catalogue().metrics.items()})


def _untyped_observations(conn, lo: int, hi: int) -> list[tuple]:
    """The occupancy observations in ``(lo, hi]`` with no typed ``feed_observation`` row (written before
    hub schema 2, or a figure the typed row cannot hold, such as ``-0.0``): the columnar feed sends
    these to desktops from their JSON (``sync.hub.feed.read_columnar``), and the desktop stores them."""
    f, fo = s.feed.c, s.feed_observation.c
    span = (f.seq > lo, f.seq <= hi, f.kind == "observation")
    items = conn.execute(select(func.count()).select_from(s.feed).where(*span)).scalar()
    typed = conn.execute(select(func.count()).select_from(s.feed_observation).where(fo.seq > lo, fo.seq <= hi)).scalar()
    if items == typed:
        return []
    out = []
    for seq, text in conn.execute(select(f.seq, f.data).where(
            *span, ~exists().where(fo.seq == f.seq)).order_by(f.seq)):
        try:
            d = p.FeedObservation.model_validate_json(text) if isinstance(text, str | bytes) else (
                p.FeedObservation.model_validate(text))
        except ValueError:
            continue   # a desktop quarantines it
        if d.metric == door.OCCUPANCY:
            out.append((d.org_code, d.metric, d.observed_at, d.value, d.source, d.received_at, seq))
    return out


def _handover_rows(conn, lo: int, hi: int):
    """(seq, event_uuid, hospital_code, state, arrived_at, handed_over_at) of the handover items in
    ``(lo, hi]``, read by the database's own JSON functions (as ``board._level_rows`` reads levels)."""
    data = s.feed.c.data
    keys = ("event_uuid", "hospital_code", "state", "arrived_at", "handed_over_at")
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSON

        fields = [cast(data, JSON)[k].astext for k in keys]
    else:
        fields = [func.json_extract(data, f"$.{k}") for k in keys]
    return conn.execute(select(s.feed.c.seq, *fields).where(
        s.feed.c.seq > lo, s.feed.c.seq <= hi, s.feed.c.kind == "handover").order_by(s.feed.c.seq)).all()
