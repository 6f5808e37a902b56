"""The yearly reminder: a standards file with no figure for the current NHS financial year (hazard H-14).

Some figures in the framework files hold for named financial years only: an interim ambition
(``resources/ambulance/standards.toml``, ``resources/metrics/targets.toml``) and the edition of each
OPEL table (``resources/opel/*.toml``, its ``[table]`` period).  Each view that shows such a figure
says when it has lapsed; this check says it once a year, in the Data quality list, for every file:
one finding per file and figure that has a window in some year but none that reaches into the
current financial year (1 April to 31 March, the UK date of ``now``).  A figure with an open window
(a constitutional standard) always has a value and is never named.

The finding clears when the file gains an entry for the year (a new ``[[standards]]`` or ``[[targets]]``
entry, a new table edition), at the next run of the checks: a file is read again when its modification
time or size changes (:func:`figures_kept`).  A new year's gap is a new finding, so the reminder comes
back every April while the file is not brought up to date.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import resources
from models.rules.quality.finding import Finding
from models.uk_time import UK

log = logging.getLogger(__name__)
CHECK = "standards_year"


@dataclass(frozen=True)
class Window:
    valid_from: dt.date | None
    valid_until: dt.date | None
    period: str | None = None        # the years in words, as the file gives them

    def reaches(self, first: dt.date, last: dt.date) -> bool:
        return ((self.valid_from is None or self.valid_from <= last)
                and (self.valid_until is None or self.valid_until >= first))


@dataclass(frozen=True)
class YearFigure:
    """One figure a file sets, with the windows of its entries (one per year or run of years)."""
    file: str                        # as the room finds it: "resources/ambulance/standards.toml"
    figure: str                      # "C2 mean ambition"
    windows: tuple[Window, ...]
    metric: str | None = None        # the catalogue metric, where the figure is one metric's
    waiting: str = "no view judges against it"   # what the views do before its first window starts


def financial_year(on: dt.date) -> tuple[dt.date, dt.date, str]:
    """The NHS financial year holding ``on``: (1 April, 31 March, "2026/27")."""
    start = on.year if on.month >= 4 else on.year - 1
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31), f"{start}/{(start + 1) % 100:02d}"


def gaps(figures: Iterable[YearFigure], now: dt.datetime) -> list[Finding]:
    """A finding for each figure whose windows are all outside the financial year of ``now``'s UK date."""
    first, last, year = financial_year(now.astimezone(UK).date())
    began = dt.datetime.combine(first, dt.time(), UK).astimezone(dt.timezone.utc)
    out = []
    for f in figures:
        if not f.windows or any(w.reaches(first, last) for w in f.windows):
            continue
        out.append(Finding(
            CHECK, None, f.metric,
            f"{f.file} sets no {f.figure} for {year} (1 April {first.year} to 31 March {last.year}); "
            f"{_until_then(f, first)}",
            severity="warning", at=began, discriminator=f"{f.file}|{f.figure}|{year}"))
    return out


def _years(w: Window) -> str:
    return f" ({w.period})" if w.period else ""


def _until_then(f: YearFigure, first: dt.date) -> str:
    """What the finding says of the figure's other years, and what the views say meanwhile: as they do.

    A figure that ran out with no later window with an end date is said to have lapsed where it is used
    (``AmbulanceStandards.lapsed``, ``MetricTargets.lapsed``, an OPEL table's "its period ended"). One
    with a later window (its first, or the next after a gap) is, until that starts, lapsed nowhere: the
    Ambulance tab shows an ambition "Not in force", a chart draws no line and says nothing, an OPEL table
    edition is named with "its period starts" (``YearFigure.waiting``).  Found by a paper review, session
    26: the words said every view called it lapsed."""
    before = [w for w in f.windows if w.valid_until is not None and w.valid_until < first]
    after = [w for w in f.windows if w.valid_from is not None and w.valid_from >= first]
    latest = max(before, key=lambda w: w.valid_until, default=None)
    upcoming = min(after, key=lambda w: w.valid_from, default=None)
    add = ("Add this year's figure, checked against its source, as a new entry in the file (or record that "
           "none is set)")
    edition = f.figure == "table edition"
    if latest is not None and not any(w.valid_until is not None and w.valid_until > latest.valid_until
                                      for w in after):
        ended = "its period has ended" if edition else "it has lapsed"
        return (f"its last ran to {latest.valid_until:%d/%m/%Y}{_years(latest)}. {add}; until then each view "
                f"that uses it says {ended}.")
    was = (f"its last ran to {latest.valid_until:%d/%m/%Y}{_years(latest)} and its next starts "
           if latest is not None else "its first starts ")
    starts = f"{was}{upcoming.valid_from:%d/%m/%Y}{_years(upcoming)}"   # none reach this year: one is later
    if edition:
        return (f"{starts}. {add}; until then the views and papers that name this edition say its period starts "
                f"{upcoming.valid_from:%d/%m/%Y}.")
    return f"{starts}. {add}; until then {f.waiting}."


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(resources.__file__).resolve().parent.parent).as_posix()
    except ValueError:
        return str(path)


def _window(entry) -> Window:
    return Window(entry.valid_from, entry.valid_until, getattr(entry, "period", None))


def _grouped(file: str, entries, name: Callable, metric: Callable = lambda e: None, *,
             waiting: str) -> list[YearFigure]:
    groups: dict[str, list] = {}
    for e in entries:
        groups.setdefault(name(e), []).append(e)
    return [YearFigure(file, figure, tuple(_window(e) for e in es), metric(es[0]), waiting)
            for figure, es in groups.items() if any(e.valid_from is not None or e.valid_until is not None for e in es)]


def _edition(path: Path, header) -> list[YearFigure]:
    a = header.applies
    if a.valid_from is None and a.valid_until is None:
        return []
    period = f"edition {header.edition}" + (f", {a.period}" if a.period else "")
    return [YearFigure(_shown(path), "table edition", (Window(a.valid_from, a.valid_until, period),))]


def ambulance_figures(path: Path) -> list[YearFigure]:
    from models.rules.ambulance_standards import STATISTICS, load_standards
    table = load_standards(path)
    return _edition(path, table.header) + _grouped(
        _shown(path), table.standards, lambda s: f"{s.category} {STATISTICS[s.statistic]} {s.kind}",
        waiting='the Ambulance tab shows it "Not in force" and judges nothing against it')   # ui.ambulance_view


def target_figures(path: Path) -> list[YearFigure]:
    from models.rules.metric_targets import load_targets
    table = load_targets.__wrapped__(path)   # not the views' copy kept by path: this one is re-read when it changes
    return _edition(path, table.header) + _grouped(
        _shown(path), table.targets, lambda t: f"{t.metric} {t.kind}", lambda t: t.metric,
        waiting="no chart draws its line, and none says why")   # MetricTargets.lines: in force only


def opel_figures(path: Path) -> list[YearFigure]:
    from models.rules.opel_rollup import load_system
    from models.rules.opel_table import load_table
    return _edition(path, (load_system(path) if path.stem == "system" else load_table(path)).header)


def standards_files() -> list[tuple[Path, Callable[[Path], list[YearFigure]]]]:
    """The framework files whose figures hold for named years, with each one's reader."""
    return ([(resources.path("ambulance", "standards.toml"), ambulance_figures),
             (resources.path("metrics", "targets.toml"), target_figures)]
            + [(p, opel_figures) for p in sorted(resources.path("opel").glob("*.toml"))])


def figures(files: Iterable[tuple[Path, Callable[[Path], list[YearFigure]]]]) -> tuple[YearFigure, ...]:
    """Every year-bound figure of ``files`` (path, reader).  A file that cannot be read is left out and
    logged: its own loader names its problems where it is used, and one bad file never stops the run."""
    out: list[YearFigure] = []
    for path, read in files:
        try:
            out += read(path)
        except Exception as exc:
            log.warning("standards year check: %s not read (%s)", path, exc)
    return tuple(out)


_read: dict[tuple[Path, Callable], tuple[tuple[int, int], tuple[YearFigure, ...]]] = {}
_read_lock = threading.Lock()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def figures_kept(files: Iterable[tuple[Path, Callable[[Path], list[YearFigure]]]]) -> tuple[YearFigure, ...]:
    """:func:`figures`, each file read again only when its modification time or size has changed since it
    was last read (a file brought up to date clears its finding at the next run, no restart: it was read
    once per process, found by a paper review, session 26).  A file that cannot be read is logged once and
    read again when it changes; one that is missing, at every run.  The stamp is taken before the read, so a
    file changed while it is read is read again at the next run."""
    out: list[YearFigure] = []
    for path, read in files:
        stamp = _stamp(path)
        with _read_lock:
            kept = _read.get((path, read))
        if stamp is None or kept is None or kept[0] != stamp:
            kept = (stamp, figures([(path, read)]))
            if stamp is not None:
                with _read_lock:
                    _read[(path, read)] = kept
        out += kept[1]
    return tuple(out)


def shipped_figures() -> tuple[YearFigure, ...]:
    """This desktop's files, read again when one changes."""
    return figures_kept(standards_files())


def standards_gaps(now: dt.datetime) -> list[Finding]:
    """The check as the data-quality run calls it: this desktop's files at ``now``."""
    return gaps(shipped_figures(), now)
