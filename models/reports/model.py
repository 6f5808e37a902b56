"""A report as plain data: sections of headed tables, paragraphs and charts, every figure with the
time it describes.  The renderers (PDF, CSV, JSON) read only this; the builders make only this.

Cell values are ``str``, ``int``, ``float``, ``datetime`` (aware) or ``None`` (nothing known):
each renderer formats them its own way (UK local time in the PDF, ISO 8601 with the UK offset in
the CSV and JSON), so one report gives the same figures in every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Union

from models.uk_time import UK

Value = Union[str, int, float, datetime, None]


@dataclass(frozen=True)
class Table:
    key: str                              # a file-name-safe name, unique in the report (its CSV's name)
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    as_at: datetime | None                # the time the table as a whole describes
    empty: str = "None."                  # what the PDF says when there are no rows
    note: str = ""                        # a line under the table: a limit, a caveat, the source
    widths: tuple[float, ...] = ()        # column shares for the PDF (empty: equal)
    warn_rows: frozenset[int] = frozenset()   # rows the PDF marks (overdue, breached, stale)
    row_labels: tuple[str, ...] = ()      # what each row is ("decision of 14:20 by Dr A"), said on a new page
                                          # where its long text goes on (empty: the row's first cell)

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.headers):
                raise ValueError(f"{self.key}: row {i} has {len(row)} cells for {len(self.headers)} headers")


@dataclass(frozen=True)
class Text:
    text: str
    warn: bool = False


@dataclass(frozen=True)
class Chart:
    """Bars by category, one series per value kind, stacked or side by side; drawn as vectors."""

    key: str
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]   # (name, one value per category)
    as_at: datetime | None
    unit: str = ""
    stacked: bool = True
    colours: tuple[str, ...] = ()                       # one "#rrggbb" per series (empty: the default)

    def as_table(self) -> Table:
        """The chart's figures as a table, for the CSV and JSON (a chart is never the only record)."""
        rows = tuple((c, *(s[1][i] for s in self.series)) for i, c in enumerate(self.categories))
        return Table(self.key, self.title, ("Category", *(name for name, _v in self.series)), rows, self.as_at)


Part = Union[Table, Text, Chart]


@dataclass(frozen=True)
class Section:
    title: str
    parts: tuple[Part, ...]
    as_at: datetime | None = None


@dataclass(frozen=True)
class Report:
    name: str                             # brief, handover, ...
    title: str
    at: datetime                          # the moment the report is as at (the room's clock)
    generated_at: datetime                # ``at`` when given on the command line, so a rebuild is the same
    sections: tuple[Section, ...]
    opel_tables: tuple[tuple[str, bool], ...]   # (edition, verified) of the OPEL tables the figures were scored on
    data_as_at: datetime | None           # the newest provider figure in the replica
    last_sync_at: datetime | None
    since: datetime | None = None         # "what changed since" (brief)
    period: tuple[datetime, datetime] | None = None   # [start, end) for a period report
    notes: tuple[str, ...] = field(default=())        # said on the first page: stale data, a replica ahead of ``at``

    @property
    def figures_day(self) -> date:
        """The UK day its figures belong to, on which the OPEL table's period is judged: ``at``, or for a
        period report the period's last instant (its end is exclusive: UK midnight after its last day, so
        the sitrep of a table's last day said its period had ended; found in review)."""
        last = self.at if self.period is None else min(self.at, self.period[1] - timedelta(microseconds=1))
        return last.astimezone(UK).date()

    def tables(self) -> list[Table]:
        """Every table and chart's figures, in the order they appear."""
        out = []
        for section in self.sections:
            for part in section.parts:
                if isinstance(part, Table):
                    out.append(part)
                elif isinstance(part, Chart):
                    out.append(part.as_table())
        return out

    def table(self, key: str) -> Table:
        found = [t for t in self.tables() if t.key == key]
        if not found:
            raise KeyError(key)
        return found[0]
