"""Data quality: the open findings (what is wrong, at which provider, in which submission, and what
would fix it), the selected one in full (for an item the hub quarantined, each field and the hub's
reason, and what was sent), and a per-provider summary of the last seven days, so the room sees who
needs a call.  The checks run in the window's housekeeping pass (``models.records.quality``); this
view only reads, through the door (``models.service.quality.quality_page``), off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHeaderView, QLabel, QSplitter, QTextBrowser,
                               QVBoxLayout, QWidget)

from models.service import quality as door
from models.uk_time import UK
from ui import format as fmt
from ui import tasks, theme
from ui.flow_bar import FlowBar
from ui.text import esc, plain_label
from ui.widgets import (EmptyOr, cap_column, cell, fill_table, keep_column_least, make_table, select_key,
                        selected_key)

# The checks in the room's words (docs/data-quality.md says what each finds and how it clears).
CHECK_WORDS = {
    "late": "Late submission",
    "missing": "Missing data",
    "incomplete_opel": "Incomplete OPEL",
    "impossible": "Impossible sequence",
    "jump": "Sudden jump",
    "duplicate": "Duplicate values",
    "level_mismatch": "Declared level unexplained",
    "declaration_unchecked": "Declared level not checked",
    "clock_skew": "Clock far off",
    "standards_year": "No figure this year",
    "intake_quarantine": "Quarantined at intake",
    "unclosed": "Record open over a day",
    "stuck": "Stuck value",
    "contact_unchecked": "Contacts not checked",
}
SEVERITY_WORDS = {"critical": "Critical", "warning": "Warning", "info": "Info"}
SEVERITY_COLOURS = {"critical": theme.NOT_MET_COLOURS, "warning": theme.OPEL_COLOURS[2],
                    "info": theme.NO_FIGURE_COLOURS}
HEADERS = ("Provider", "Metric", "Check", "Severity", "What is wrong", "Submission", "Found · last seen")
SUMMARY_HEADERS = ("Provider", "Open", "Late", "Missing", "Other findings", "Submissions", "Last submission")
WHAT = HEADERS.index("What is wrong")
FOUND = HEADERS.index("Found · last seen")
FOUND_SAMPLE = "Mon 12 Jan 20:58 ·"   # the column's most: a finding's found time whole, another day's included
SUMMARY_TIPS = {
    1: "Findings open now",
    2: "Late-submission findings raised in the period: a series' newest value came more than one cadence "
       "(plus 10 minutes) after the time it describes",
    3: "Missing-data findings raised in the period: a series silent for more than two cadences (plus 10 minutes)",
    4: "The other findings raised in the period, per check",
    5: "Provider submissions the hub took in the period",
    6: "When the hub took the provider's newest submission (UK time)",
}
# Widths (at the room's 1366 px) of the columns that hold free text: a long provider name or a
# submission id must not squeeze out what is wrong; each is elided, and whole in its tooltip.
FINDING_WIDTHS = {0: 200, 1: 170, 5: 230}
SUMMARY_WIDTHS = {0: 210}
OTHER_MAX, OTHER_PADDING = 360, 14   # the "Other findings" column: at most this wide for its words; a cell's margins
DETAIL_CHARS = 18   # the selected finding's text keeps this many characters' width beside the summary
WHAT_CHARS = 14     # "What is wrong" keeps this many characters' width; past it the findings scroll sideways


def _when(now: datetime, value: datetime | None) -> str:
    """UK time, with the day when it is not today's."""
    if value is None:
        return "—"
    today = now.astimezone(UK).date() == value.astimezone(UK).date()
    return fmt.local_time(value, with_date=not today)


def _provider(code: str | None, name: str | None, check: str | None = None) -> str:
    if check == "contact_unchecked":
        return "(the contact directory)"
    if not code:
        return "(the whole system)"
    return f"{name} ({code})" if name else code


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def open_words(total: int, at_providers: int, providers: int) -> str:
    """"9 open findings", "12 open findings at 3 providers", "21 open findings: 12 at 3 providers, 9 about no
    provider": a finding about no provider (the contact directory, a standards file, any with no ODS code)
    is counted apart (it read "18 open findings at 9 providers" with 8 of them about no provider: a paper
    review, session 26)."""
    words = _plural(total, "open finding")
    if not providers:
        return words
    where = f"at {_plural(providers, 'provider')}"
    none = total - at_providers
    return f"{words} {where}" if none <= 0 else f"{words}: {at_providers} {where}, {none} about no provider"


def _submission_text(now: datetime, sub: door.SubmissionView | None) -> str:
    if sub is None:
        return "—"
    if sub.submission_id is None:
        return f"{sub.ref} (no notice)"
    text = f"{sub.submission_id[:8]}… sent {_when(now, sub.submitted_at)}"
    refused = list(dict.fromkeys(f for item in sub.rejected for f, _why in item.reasons))
    return text + (f" · refused: {', '.join(refused)}" if refused else "")


def _submission_tooltip(now: datetime, sub: door.SubmissionView | None) -> str | None:
    if sub is None:
        return None
    if sub.submission_id is None:
        return sub.sender_line if sub.sender is not None else None
    lines = [f"Submission {sub.submission_id} ({sub.source})",
             f"sent {_when(now, sub.submitted_at)} by the provider's clock, received {_when(now, sub.received_at)}",
             sub.sender_line]
    lines += [f"{f}: {why}" for item in sub.rejected for f, why in item.reasons]
    return "\n".join(lines)


class QualityView(QWidget):
    # Findings change in the housekeeping pass after each sync batch (a "record" notice); new
    # providers and the hub's intake notices move the summary.
    KINDS = frozenset({"record", "intake_notice", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.page: door.QualityPage | None = None
        self.lines: dict[int, door.QualityLine] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._filters())
        self.table = make_table(HEADERS, "Data-quality findings", stretch=WHAT)
        self.table.setWordWrap(False)   # one line a finding; the whole of it is in the detail below
        _fixed(self.table, FINDING_WIDTHS)
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.findings = EmptyOr("", self.table)
        self.no_match = self.findings.empty
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("The selected finding in full")
        self.detail.setOpenLinks(False)
        self.summary = make_table(SUMMARY_HEADERS, "Data quality per provider, last 7 days",
                                  stretch=SUMMARY_HEADERS.index("Other findings"))
        self.summary.setWordWrap(False)
        _fixed(self.summary, SUMMARY_WIDTHS)
        self.summary.itemActivated.connect(self._show_provider)   # double-click or Enter: its findings
        for column, tip in SUMMARY_TIPS.items():
            self.summary.horizontalHeaderItem(column).setToolTip(tip)
        self.summary_title = QLabel()
        self.summary_title.setWordWrap(True)
        self.summary_title.setObjectName("muted")
        week = QWidget()
        week_layout = QVBoxLayout(week)
        week_layout.setContentsMargins(0, 0, 0, 0)
        week_layout.addWidget(self.summary_title)
        week_layout.addWidget(self.summary, 1)
        below = self.below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(self.detail)
        below.addWidget(week)
        below.setStretchFactor(0, 35)
        below.setStretchFactor(1, 65)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings)
        split.addWidget(below)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        for t in (self.table, self.summary):
            t.viewport().installEventFilter(self)
        self.stack = EmptyOr("No open data-quality findings.", body)
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)

    def _filters(self) -> FlowBar:
        row = FlowBar()
        self.heading = plain_label()
        self.heading.setAccessibleName("Data-quality findings at a glance")
        row.addWidget(self.heading, 1)
        self.provider_filter = self._combo("Show findings of one provider", [("All providers", None)])
        self.check_filter = self._combo("Show findings of one check",
                                        [("All checks", None)] + [(w, k) for k, w in CHECK_WORDS.items()])
        self.severity_filter = self._combo("Show findings of one severity",
                                           [("All severities", None)] + [(w, k) for k, w in SEVERITY_WORDS.items()])
        for combo in (self.provider_filter, self.check_filter, self.severity_filter):
            # As wide as the longest entry, no wider: the heading keeps the rest of the row.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            row.addWidget(combo)
        # Providers' names run long (an ambulance trust's): the box is cut to 26 characters, its list is not.
        self.provider_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.provider_filter.setMinimumContentsLength(26)
        self.show_resolved = QCheckBox("Show cleared (7 days)")
        self.show_resolved.setAccessibleName("Also show findings cleared in the last 7 days")
        self.show_resolved.toggled.connect(lambda _on: self.refresh())
        row.addWidget(self.show_resolved)
        return row

    def _show_provider(self, item) -> None:
        code = self.summary.item(item.row(), 0).data(Qt.ItemDataRole.UserRole)
        index = self.provider_filter.findData(code) if code else -1
        if index >= 0:
            self.provider_filter.setCurrentIndex(index)   # its change asks for the read

    def _combo(self, name: str, items) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setToolTip(name)
        for title, key in items:
            combo.addItem(title, key)
        combo.currentIndexChanged.connect(lambda _i: self.refresh())
        return combo

    def refresh(self) -> None:
        """Read the page off the UI thread (filters as they are now); it is drawn when it arrives."""
        now, store = self.clock(), self.store
        filters = {"org_code": self.provider_filter.currentData(), "check": self.check_filter.currentData(),
                   "severity": self.severity_filter.currentData(), "show_cleared": self.show_resolved.isChecked()}
        self._read(lambda: door.quality_page(store, now, **filters))

    # --- drawing ----------------------------------------------------------------------------------
    def _draw(self, page: door.QualityPage) -> None:
        self.page, now = page, page.now
        checked = fmt.local_time(now)
        self.stack.show_empty(not page.summary and not page.lines,
                              f"No open data-quality findings; checked at {checked}. Each provider's "
                              "submissions are checked here as they sync: late or missing data, incomplete "
                              "OPEL assessments, items the hub quarantined, jumps, duplicates and clocks.")
        self._fill_providers(page.providers)
        filtered = any(c.currentData() is not None for c in (self.provider_filter, self.check_filter,
                                                              self.severity_filter))
        shown = (f" · {page.matched} shown" if filtered or self.show_resolved.isChecked() else "")
        more = f" (the newest {len(page.lines)} listed)" if page.matched > len(page.lines) else ""
        total = (_plural(page.open_total, "open finding") if filtered   # the filters say where
                 else open_words(page.open_total, *page.open_at_providers))
        self.heading.setText(f"{total}{shown}{more} · checked at {checked}")
        if not page.lines:
            text = (f"No data-quality findings match these filters; {page.open_total} open in all; checked at "
                    f"{checked}." if filtered else f"No open data-quality findings; checked at {checked}.")
            self.findings.show_empty(True, text)
        else:
            self.findings.show_empty(False)
        self._fill_findings(page)
        self._fill_summary(page)
        self._show_selected()

    def _fill_providers(self, providers) -> None:
        chosen = self.provider_filter.currentData()
        wanted = [(None, "All providers")] + [(c, f"{n} ({c})") for c, n in providers]
        have = [(self.provider_filter.itemData(i), self.provider_filter.itemText(i))
                for i in range(self.provider_filter.count())]
        if have == wanted:
            return
        self.provider_filter.blockSignals(True)   # a new list is not a new choice: no second read
        try:
            self.provider_filter.clear()
            for code, title in wanted:
                self.provider_filter.addItem(title, code)
            self.provider_filter.setCurrentIndex(max(0, self.provider_filter.findData(chosen)))
        finally:
            self.provider_filter.blockSignals(False)

    def _fill_findings(self, page: door.QualityPage) -> None:
        now = page.now
        keep = selected_key(self.table)
        self.lines = {line.finding.id: line for line in page.lines}
        rows = []
        for line in page.lines:
            f = line.finding
            when = f"{_when(now, f.raised_at)} · " + (f"cleared {_when(now, f.cleared_at)}" if f.cleared_at
                                                       else f"seen {_when(now, f.last_seen_at)}")
            muted = (theme.current().base, theme.current().muted) if f.cleared_at else None
            rows.append([
                cell(_provider(f.org_code, line.provider, f.check), data=f.id),
                cell(line.metric_name or f.metric or "—", tooltip=f.metric),
                cell(CHECK_WORDS.get(f.check, f.check)),
                cell(SEVERITY_WORDS.get(f.severity, f.severity), colours=SEVERITY_COLOURS.get(f.severity)),
                cell(f.detail, tooltip=f.detail),
                cell(_submission_text(now, line.submission), tooltip=_submission_tooltip(now, line.submission)),
                cell(when, colours=muted, tooltip=when)])
        fill_table(self.table, rows)
        # Its times, not "What is wrong", give way: sized to its words it took 325 px at 1280x720 in high contrast
        # ("Mon 12 Jan 20:58 · seen Tue 13 Jan 02:45") and left "What is wrong" 90 px ("ıat is wro"). At most as
        # wide as the time a finding was found on another day; the rest is in its tooltip and the detail below.
        cap_column(self.table, FOUND, self.table.fontMetrics().horizontalAdvance(FOUND_SAMPLE) + 2 * OTHER_PADDING)
        self._keep_words()
        if keep is not None:
            select_key(self.table, keep)

    def _fill_summary(self, page: door.QualityPage) -> None:
        now = page.now
        self.summary_title.setText(f"Per provider, last {page.days} days (who needs a call first): findings "
                                   "raised, and the submissions the hub took")
        rows = []
        for s in page.summary:
            others = ", ".join(f"{CHECK_WORDS.get(k, k)} {n}" for k, n in s.by_check.items()
                               if k not in ("late", "missing"))
            rows.append([
                cell(_provider(s.org_code, s.name), data=s.org_code),
                cell(_count(s.open), align_right=True, bold=True),
                cell(_count(s.late), align_right=True), cell(_count(s.missing), align_right=True),
                cell(others, tooltip=others or None),
                cell(str(s.submissions), align_right=True),
                cell(f"{_when(now, s.last_submission_at)} ({fmt.age(now, s.last_submission_at)})"
                     if s.last_submission_at else "never")])
        fill_table(self.summary, rows)
        # As wide as its columns and the stretching one's heading and words: at 1280x720 in high contrast the
        # splitter gave it less and "Other findings" read "ther finding", and at 1366x768 a provider's
        # "Incomplete OPEL 1, Sudden jump 1" read "Incomplete OPEL 1, Sudden ju…" (up to OTHER_MAX wide; the
        # whole is in its tooltip). The finding's detail beside it wraps into the rest.
        header, table = self.summary.horizontalHeader(), self.summary
        other = SUMMARY_HEADERS.index("Other findings")
        metrics = table.fontMetrics()
        words = max((metrics.horizontalAdvance(table.item(r, other).text()) for r in range(table.rowCount())),
                    default=0) + OTHER_PADDING
        self._summary_wanted = (sum(max(header.sectionSizeHint(c), min(words, OTHER_MAX)) if c == other
                                    else header.sectionSize(c) for c in range(table.columnCount()))
                                + table.verticalScrollBar().sizeHint().width() + 2 * table.frameWidth())
        self._fit_summary_width()

    def _fit_summary_width(self) -> None:
        """The summary as wide as it wants (above), but never so wide that the finding's text beside it gets less
        than ``DETAIL_CHARS`` characters or the page more than the window's width: at twice the text on a
        1366x768 laptop it wanted 1,375 pixels, the window grew to 1,469 (its right edge off the screen) and the
        finding's text read a syllable a line ("Sel / ect / a / fin / din / g"). Past that the summary scrolls
        sideways."""
        wanted = getattr(self, "_summary_wanted", 0)
        if not wanted:
            return
        least = DETAIL_CHARS * self.detail.fontMetrics().averageCharWidth() + 2 * self.detail.frameWidth()
        self.detail.setMinimumWidth(least)
        room = self.width() - 8 - least - self.below.handleWidth()   # the page's margins, the splitter's handle
        if wanted <= room:
            self.summary.setMinimumWidth(wanted)
        else:   # a share, not a least: a least of the page's width less the text's would hold the window's width
            self.summary.setMinimumWidth(0)
            self.below.setSizes([least, max(0, room)])
        self._keep_words()

    def _keep_words(self) -> None:
        """The two stretching columns keep their words' least (``ui.widgets.keep_column_least``): with the
        summary no wider than the window (``_fit_summary_width``) "Other findings" read "r fin", and at twice the
        text "What is wrong" read "is w" over "N…"; past it each table scrolls sideways."""
        table = self.table
        keep_column_least(table, WHAT, max(table.horizontalHeader().sectionSizeHint(WHAT),
                                           WHAT_CHARS * table.fontMetrics().averageCharWidth()))
        other = SUMMARY_HEADERS.index("Other findings")
        keep_column_least(self.summary, other, self.summary.horizontalHeader().sectionSizeHint(other))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Resize and watched in (self.table.viewport(), self.summary.viewport()):
            self._keep_words()   # a table's new width: its stretching column's least again
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_summary_width()

    def _show_selected(self) -> None:
        line = self.lines.get(selected_key(self.table))
        if line is None or self.page is None:
            self.detail.setHtml("<p>Select a finding to see it in full: what is wrong, the submission it "
                                "names and, for an item the hub quarantined, each field with the hub's reason.</p>")
            return
        self.detail.setHtml(detail_html(self.page.now, line))


def _fixed(table, widths: dict[int, int]) -> None:
    header = table.horizontalHeader()
    for column, width in widths.items():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, width)


def _count(n: int) -> str:
    return str(n) if n else ""


def detail_html(now: datetime, line: door.QualityLine) -> str:
    """The finding in full, as rich text; everything from the replica escaped (providers send it)."""
    f, sub = line.finding, line.submission
    metric = f" · {esc(line.metric_name or f.metric)} ({esc(f.metric)})" if f.metric else ""
    parts = [f"<p><b>{esc(CHECK_WORDS.get(f.check, f.check))}</b> · {esc(SEVERITY_WORDS.get(f.severity, ''))} · "
             f"{esc(_provider(f.org_code, line.provider, f.check))}{metric}</p>", f"<p>{esc(f.detail)}</p>"]
    times = [f"found {_when(now, f.raised_at)}"]
    times.append(f"cleared {_when(now, f.cleared_at)}" if f.cleared_at else f"last seen {_when(now, f.last_seen_at)}")
    if f.subject_at:
        times.append(f"the data describes {_when(now, f.subject_at)}")
    parts.append(f"<p>{esc(' · '.join(times)).capitalize()} (UK time).</p>")
    if sub is not None:
        parts.append(_submission_html(now, sub))
    return "".join(parts)


def _submission_html(now: datetime, sub: door.SubmissionView) -> str:
    if sub.submission_id is None and sub.sender is not None:   # phoned in to the SCC: the call says who
        return (f"<p><b>Submission:</b> {esc(sub.ref)} (the feed position it came at).</p>"
                f"<p><b>{esc(sub.sender_line)}.</b></p>")
    if sub.submission_id is None:
        return (f"<p><b>Submission:</b> {esc(sub.ref)} (the feed position it came at; no intake notice names "
                "it, as from a hub before protocol 1.4).</p><p><b>Sender not recorded.</b></p>")
    out = [f"<p><b>Submission</b> {esc(sub.submission_id)} ({esc(sub.source)}): submitted "
           f"{_when(now, sub.submitted_at)} by the provider's clock, received {_when(now, sub.received_at)} "
           "by the hub" + (f"; the hub quarantined {sub.rejected_count} of its items" if sub.rejected_count
                           else "") + ".</p>", f"<p><b>{esc(sub.sender_line)}.</b></p>"]
    for item in sub.rejected:
        where = f"row {item.row}" if item.row is not None else f"item {item.index}"
        what = " ".join(esc(x) for x in (item.item_type, item.metric) if x)
        out.append(f"<p><b>{where}</b> {what}</p><table cellspacing='0' cellpadding='2'>")
        out += [f"<tr><td><b>{esc(field)}</b></td><td>{esc(why)}</td></tr>" for field, why in item.reasons]
        out.append("</table>")
        if item.raw:
            # Wrapped (a provider's one long line of JSON), in a fixed-width face.
            out.append("<p>Raw, as the hub's notice carries it (cut down):</p>"
                       f"<p style='font-family: monospace; white-space: pre-wrap'>{esc(item.raw)}</p>")
    return "".join(out)
