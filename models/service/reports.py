"""The room's reports, built from the replica alone (so they work with the hub or the network
down): the entry points the window (File > Reports…) and ``scc-desktop report`` call.

``build`` makes a report as plain data (``models.reports.model.Report``) from the door's page reads;
``write`` puts it in a folder as a PDF for reading and JSON and CSV for the records.  The same
report gives byte-identical JSON and CSV (and PDF): nothing in them comes from the clock unless
the caller passes no time.
"""

from __future__ import annotations

import json
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from models import owner_only
from models.reports import bc_pack, board, brief, handover, periods, render_data, render_pdf, sitrep, words
from models.reports.model import Report
from models.uk_time import UK

NAMES = ("brief", "handover", "sitrep", "board", "bc-pack")
PERIOD_NAMES = ("sitrep", "board")   # they cover whole UK days (--from/--to), not one moment
DESCRIPTIONS = {"brief": "Morning brief for the 08:00 system call",
                "handover": "Handover to the Director on-call (18:00)",
                "sitrep": "Daily situation report (one day)",
                "board": "Board report (a week or a month)",
                "bc-pack": "Business continuity pack (for a total loss of IT)"}
# A previous brief in the folder counts as "the last brief" when it is this old: a brief rebuilt a
# minute later must not report "no change since", and one from last week is not "since yesterday".
LAST_BRIEF_WITHIN = (timedelta(hours=1), timedelta(hours=72))


@dataclass(frozen=True)
class Written:
    report: Report
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)   # "pdf", "json", "csv:<table>" -> the file
    pdf_pages: int = 0
    seconds: float = 0.0                                    # to read the replica and build the report
    warnings: tuple[str, ...] = ()                          # the folder others may read (models.owner_only)

    @property
    def pdf(self) -> Path:
        return self.files["pdf"]


def check_name(name: str) -> str:
    if name not in NAMES:
        raise ValueError(f"report: '{name}' is not a report; choose one of {', '.join(NAMES)}")
    return name


def _build(store, name: str, at: datetime, *, since: datetime | None = None,
          generated_at: datetime | None = None, first: date | None = None, last: date | None = None) -> Report:
    """Report ``name`` as at ``at`` (aware).  ``since``: the brief's "what changed since" (default
    the same UK clock time the day before ``at``: 24 hours, 23 or 25 on a clock-change day).  ``first``/``last``: the UK days of a sitrep or board report (default:
    the day, or the week, before ``at``).  ``ValueError("field: reason")`` for input that will not do."""
    check_name(name)
    if at.tzinfo is None:
        raise ValueError("at: a time without a UTC offset is ambiguous on clock-change nights")
    if name in PERIOD_NAMES:
        return _period_report(store, name, at, since, generated_at, first, last)
    if first is not None or last is not None:
        raise ValueError(f"from: the {name} is as at one time, not a period")
    if name == "brief":
        return brief.build(store, at, since, generated_at)
    if since is not None:
        raise ValueError(f"since: only the brief reports what changed since a time, not the {name}")
    if name == "bc-pack":
        return bc_pack.build(store, at, generated_at)
    return handover.build(store, at, generated_at)


def build(store, name: str, at: datetime, *, since: datetime | None = None,
          generated_at: datetime | None = None, first: date | None = None, last: date | None = None) -> Report:
    """Report ``name`` as at ``at`` (aware); see ``_build``. Its times name their zone where the page's
    does not do for them (``words.clock``)."""
    if at.tzinfo is None:
        raise ValueError("at: a time without a UTC offset is ambiguous on clock-change nights")
    with words.page_zone(at, generated_at or at):   # the reports take generated_at as at when not given
        return _build(store, name, at, since=since, generated_at=generated_at, first=first, last=last)


def _period_report(store, name: str, at: datetime, since: datetime | None, generated_at: datetime | None,
                   first: date | None, last: date | None) -> Report:
    if since is not None:
        raise ValueError(f"since: only the brief reports what changed since a time, not the {name}")
    if name == "sitrep":
        return sitrep.build(store, at, periods.sitrep_day(at, first, last), generated_at)
    return board.build(store, at, *periods.board_days(at, first, last), generated_at)


def stem(report: Report) -> str:
    """``brief-2025-07-14-0800``: the report and its UK local time, so a folder sorts by time (in the
    repeated hour of the autumn change, with its zone: ``bc-pack-2026-10-25-0112-BST``, then ``-0112-GMT``); a
    period report is named for its days (``sitrep-2025-07-13``, ``board-2025-07-07-to-2025-07-13``)."""
    if report.period is not None:
        first = report.period[0].astimezone(UK).date()
        last = (report.period[1] - timedelta(hours=1)).astimezone(UK).date()
        return f"{report.name}-{first}" + (f"-to-{last}" if last != first else "")
    local = report.at.astimezone(UK)
    # The hour the clocks go back comes twice: "-0130-BST", then "-0130-GMT" (one name for both, and the
    # second report overwrote the first's files: found by a paper review, session 25).
    again = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return f"{report.name}-{local:%Y-%m-%d-%H%M}" + (f"-{local.tzname()}" if again else "")


def _put(path: Path, data: bytes) -> None:
    """Whole or not at all, and the owner's only (``models.owner_only.write``): a reader (or the records
    system) never picks up half a file, and the pack's phone numbers are not for every user of the
    computer.  The temporary name is this write's own: desktops sharing a folder (the hourly
    business-continuity pack) never write into each other's."""
    owner_only.write(path, data)


def write(report: Report, folder: Path) -> Written:
    """The PDF, the JSON and one CSV per table into ``folder`` (made owner-only if missing; files of the same
    report and time are replaced), each file the owner's only.  ``OSError`` when the folder cannot be
    written; ``warnings`` names a folder others may read."""
    folder = Path(folder)
    warning = owner_only.folder(folder)
    base = stem(report)
    with words.page_zone(report.at, report.generated_at):
        rendered = render_pdf.render(report)
    files = {"pdf": folder / f"{base}.pdf", "json": folder / f"{base}.json"}
    payloads = {"pdf": rendered.data, "json": render_data.json_bytes(report)}
    for key, data in render_data.csv_files(report, files["json"].name).items():
        files[f"csv:{key}"] = folder / f"{base}-{key}.csv"
        payloads[f"csv:{key}"] = data
    for key, path in files.items():
        _put(path, payloads[key])
    return Written(report, folder, files, rendered.pages, warnings=(warning,) if warning else ())


def last_brief(folder: Path, before: datetime) -> datetime | None:
    """The time of the newest brief in ``folder`` between one and 72 hours before ``before`` (see
    ``LAST_BRIEF_WITHIN``); None when there is none (a JSON that cannot be read is passed over)."""
    found = []
    for path in sorted(Path(folder).glob("brief-2*.json")) if Path(folder).is_dir() else []:   # not brief-latest
        try:
            at = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["at"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if at.tzinfo is not None and LAST_BRIEF_WITHIN[0] <= before - at <= LAST_BRIEF_WITHIN[1]:
            found.append(at)
    return max(found, default=None)


def make(store, name: str, folder: Path, at: datetime | None = None, *, since: datetime | None = None,
         first: date | None = None, last: date | None = None) -> Written:
    """Build report ``name`` and write it into ``folder``: what the command and the window run.

    ``at`` None: now, from the clock (and the files say so); given: the report is as at ``at`` and
    generated at ``at``, so building it again gives the same bytes.  The brief's ``since``, when
    not given, is the last brief in ``folder`` (``last_brief``), else the same UK clock time the day before."""
    check_name(name)
    now = at or datetime.now(timezone.utc).replace(microsecond=0)
    if name == "brief" and since is None:
        since = last_brief(folder, now)
    started = clock.perf_counter()
    report = build(store, name, now, since=since, generated_at=now, first=first, last=last)
    seconds = clock.perf_counter() - started
    written = write(report, folder)
    return Written(written.report, written.folder, written.files, written.pdf_pages, seconds, written.warnings)
