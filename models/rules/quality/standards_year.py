"""The yearly reminder: a standards file with no figure for the current NHS financial year (hazard H-14).

Some figures in the framework files hold for named financial years only: an interim ambition
(``resources/ambulance/standards.toml``, ``resources/metrics/targets.toml``) and the edition of each
OPEL table (``resources/opel/*.toml``, its ``[table]`` period).  Each view that shows such a figure
says when it has lapsed; this check says it once a year, in the Data quality list, for every file:
one finding per file and figure that has a window in some year but none that reaches into the
current financial year (1 April to 31 March, the UK date of ``now``).  A figure with an open window
(a constitutional standard) always has a value and is never named.

The finding clears when the file gains an entry for the year (a new ``[[standards]]`` or ``[[targets]]``
entry, a new table edition) and the desktop runs it; a new year's gap is a new finding, so the
reminder comes back every April while the file is not brought up to date.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
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
        before = [w for w in f.windows if w.valid_until is not None and w.valid_until < first]
        latest = max(before, key=lambda w: w.valid_until, default=None)
        was = (f"; its last ran to {latest.valid_until:%d/%m/%Y}" + (f" ({latest.period})" if latest.period else "")
               if latest is not None else "; its first starts later")
        out.append(Finding(
            CHECK, None, f.metric,
            f"{f.file} sets no {f.figure} for {year} (1 April {first.year} to 31 March {last.year}){was}. "
            "Add this year's figure, checked against its source, as a new entry in the file (or record that "
            "none is set); until then each view that uses it says it has lapsed.",
            severity="warning", at=began, discriminator=f"{f.file}|{f.figure}|{year}"))
    return out


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path(resources.__file__).resolve().parent.parent).as_posix()
    except ValueError:
        return str(path)


def _window(entry) -> Window:
    return Window(entry.valid_from, entry.valid_until, getattr(entry, "period", None))


def _grouped(file: str, entries, name: Callable, metric: Callable = lambda e: None) -> list[YearFigure]:
    groups: dict[str, list] = {}
    for e in entries:
        groups.setdefault(name(e), []).append(e)
    return [YearFigure(file, figure, tuple(_window(e) for e in es), metric(es[0])) for figure, es in groups.items()
            if any(e.valid_from is not None or e.valid_until is not None for e in es)]


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
        _shown(path), table.standards, lambda s: f"{s.category} {STATISTICS[s.statistic]} {s.kind}")


def target_figures(path: Path) -> list[YearFigure]:
    from models.rules.metric_targets import load_targets
    table = load_targets(path)
    return _edition(path, table.header) + _grouped(
        _shown(path), table.targets, lambda t: f"{t.metric} {t.kind}", lambda t: t.metric)


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


@functools.lru_cache(maxsize=1)
def shipped_figures() -> tuple[YearFigure, ...]:
    """This desktop's files, read once (they do not change while it runs)."""
    return figures(standards_files())


def standards_gaps(now: dt.datetime) -> list[Finding]:
    """The check as the data-quality run calls it: this desktop's files at ``now``."""
    return gaps(shipped_figures(), now)
