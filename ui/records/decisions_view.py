"""Decision log: filter by UK date range, author, provider and words; read every field of an entry;
record a new decision or amend one (a new entry: the log is append-only); verify the hash chains;
export a period for the corporate records system.

Reading the log (``models.service.decision_log``), verifying it and exporting it run off the UI
thread (``ui.tasks``): a filter typed, a verification of a long log or a PDF of hundreds of
pages never holds the window; each result is shown when it arrives.
"""

from __future__ import annotations

import gc
import html
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from models.author import current_author
from models.queries import records as rq
from models.queries import situation_snapshot
from models.records import verify as records_verify
from models.records import action_reassign, action_withdraw, decision_actions, reached_hub
from models.replica.utc import from_utc_text
from models.service import actions as actions_door
from models.service import decision_log as door
from ui import format as fmt
from ui import tasks, theme
from ui.flow_bar import FlowBar
from ui.records.common import StatusLine, show_message
from ui.records.decision_dialog import DecisionDialog
from ui.widgets import (EmptyOr, cell, fill_table, keep_column_least, make_table, muted, select_key, selected_key,
                        wrap_to_fit)
from models.reports.words import count

HEADERS = ("Decided (UK)", "Decision maker", "Decision", "Actions", "Amends", "Message")
DECISION_CHARS = 24   # the decision's words keep this many characters' width, past it a sideways scroll
MAKER_CHARS = 16      # the decision maker wraps past this many characters' width when a row is wider than the table
TABLE_SHARE = 0.65    # short of width, the table may take up to this share from the selected entry beside it
DELIVERY_WORDS = {"sent": "✉ sent", "failed": "✉ FAILED", "pending": "✉ pending"}
# The table shows at most this many entries matching the filters, the newest: a year's log (about 2,950) drawn
# whole held the window about a second on every redraw, as each record synced in (0.32 s for 1,000 measured on
# two shared cores; the rows are Qt items each measured in Python).  Older entries are a filter away.
SHOWN_AT_MOST = 300
EMPTY_TEXT = ("No decisions in the log yet. Record one with “New decision…”: the system picture at that "
              "moment is attached automatically. Decisions other desktops record arrive with the next sync.")


def _esc(text: str | None) -> str:
    return html.escape(text or "").replace("\n", "<br>") or "<i>not recorded</i>"


def day_and_time(value: datetime, now: datetime) -> str:
    """"Mon 12 Jan 09:00" (UK), with the year when it is not this year's: a year's log holds two of
    each date."""
    if value.astimezone(rq.UK).year == now.astimezone(rq.UK).year:
        return fmt.local_time(value, with_date=True)
    return value.astimezone(rq.UK).strftime("%a %d %b %Y %H:%M")


def _qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _taken(snapshot: dict | None) -> str:
    try:
        return " at " + fmt.local_time(from_utc_text(snapshot["taken_at"]), with_date=True) + " (UK)"
    except (KeyError, TypeError, ValueError):
        return ""


def _entry_ref(uid: str, known: dict[str, rq.EntryRef]) -> str:
    other = known.get(uid)
    if other is None:
        return f"entry {html.escape(uid)}"
    return (f"the entry of {fmt.local_time(other.decided_at, with_date=True)} by "
            f"{_esc(other.decision_maker)} (“{_esc(other.decision[:80])}”)")


def delivery_text(message) -> str:
    """A SPoC message's outcome in words: "sent to 10 at …", "failed: <reason>", "pending: queued …"."""
    if message.delivery == "pending":
        return f"pending: {message.status}"
    return message.status


def message_html(message) -> str:
    """The detail pane's paragraph on the message an entry records, with what became of it."""
    words = html.escape(delivery_text(message))
    if message.delivery == "failed":
        words = (f"<b>✉ FAILED</b>: {html.escape(message.error or 'no reason given')} (the hub does not try it "
                 "again: phone the groups, or send it again to those it did not reach)")
    else:
        words = f"<b>✉ {html.escape(message.delivery)}</b> — {words}"
    return (f"<p><b>SPoC message</b> “{_esc(message.subject)}” to {html.escape(', '.join(message.groups))} "
            f"({len(message.recipients)} recipient{'s' if len(message.recipients) != 1 else ''})<br>{words}</p>")


def clashing_entries(moves: dict[str, list], withdrawn: dict[str, list] | None = None) -> set[str]:
    """Entries that reassigned an action some other entry reassigned or withdrew too (a clash), and
    those withdrawals."""
    withdrawn = withdrawn or {}
    out = {r.entry_uuid for uid, rows in moves.items() if len(rows) > 1 or uid in withdrawn for r in rows}
    return out | {w.entry_uuid for uid, rows in withdrawn.items() if uid in moves for w in rows}


def _moved_words(r, known: dict[str, rq.EntryRef]) -> str:
    return (f"reassigned to <b>{_esc(r.owner or '(owner not in this replica)')}</b> "
            f"{fmt.local_time(r.decided_at, with_date=True)}, by {_esc(r.by)} ({_entry_ref(r.entry_uuid, known)})")


def _moves_html(rows: list, known: dict[str, rq.EntryRef]) -> str:
    said = [_moved_words(r, known) for r in rows]
    if len(said) > 1:
        return (" · <b>⚠ CLASH</b>: " + " and ".join(said)
                + ", each on a desktop that had not seen the other; both new actions stand")
    return " · " + said[0] if said else ""


def _withdrawn_html(rows: list, known: dict[str, rq.EntryRef]) -> str:
    """' · WITHDRAWN <when>, by <who> (<entry>), reason: <why>' (two: two desktops that each withdrew it)."""
    return "".join(f" · <b>withdrawn</b> {fmt.local_time(w.decided_at, with_date=True)}, by {_esc(w.by)} "
                   f"({_entry_ref(w.entry_uuid, known)}), reason: {_esc(w.reason)}" for w in rows)


def detail_html(row: rq.DecisionRow, known: dict[str, rq.EntryRef] | None = None, message=None,
                moves: dict[str, list] | None = None, withdrawn: dict[str, list] | None = None) -> str:
    """Every good-practice field of one entry, as HTML for the detail pane; ``known`` names
    amended and amending entries by time and author instead of UUID; ``message``: the SPoC message
    the entry records (``models.service.messages.SentMessage``), said with its delivery first."""
    known, moves, withdrawn = known or {}, moves or {}, withdrawn or {}
    e = row.entry
    parts = [f"<h3>{_esc(e.decision)}</h3>",
             f"<p><b>Decided</b> {fmt.local_time(e.decided_at, with_date=True)} (UK) by "
             f"<b>{_esc(e.decision_maker)}</b>, {_esc(e.decision_maker_role)}</p>"]
    if message is not None:
        parts.append(message_html(message))
    for title, text in (("Rationale", e.rationale), ("Options considered", e.options_considered),
                        ("Information available", e.information_available)):
        parts.append(f"<p><b>{title}</b><br>{_esc(text)}</p>")
    snap = "<br>".join(f"<b>{html.escape(line)}</b>" if line.startswith("Feed: no sync") else   # figures hours old
                       html.escape(line).replace("  ", "&nbsp;&nbsp;")
                       for line in situation_snapshot.describe(e.situation_snapshot))
    parts.append(f"<p><b>Situation snapshot</b>{_taken(e.situation_snapshot)}<br>{snap}</p>")
    if row.actions:
        items = "".join(f"<li>{_esc(a.description)} — <b>{_esc(a.owner)}</b>, due "
                        f"{fmt.local_time(a.due_at, with_date=True) if a.due_at else 'no time set'}"
                        + (f" · done {fmt.local_time(a.done_at, with_date=True)} by {_esc(a.done_by)}"
                           if a.done_at else "") + _moves_html(moves.get(a.uuid, []), known)
                        + _withdrawn_html(withdrawn.get(a.uuid, []), known) + "</li>"
                        for a in row.actions)
        parts.append(f"<p><b>Actions and owners</b></p><ul>{items}</ul>")
    else:
        parts.append("<p><b>Actions and owners</b><br><i>none</i></p>")
    if e.review_at:
        parts.append(f"<p><b>Review</b> {fmt.local_time(e.review_at, with_date=True)}</p>")
    # The actions link repeats "Actions and owners" above, for the hash chain: not a link to show.
    links = ", ".join(html.escape(f"reassigns action {link.get('action_uuid')}"
                                  if isinstance(link, dict) and link.get("kind") == action_reassign.KIND else
                                  f"withdraws action {link.get('action_uuid')}"
                                  if isinstance(link, dict) and link.get("kind") == action_withdraw.KIND else
                                  str(link.get("org_code") or link.get("uuid") or link) if isinstance(link, dict)
                                  else str(link)) for link in e.links or []
                      if not (isinstance(link, dict) and link.get("kind") == decision_actions.KIND))
    parts.append(f"<p><b>Links</b> {links or '<i>none</i>'}</p>")
    for link in e.links or []:   # this entry reassigned or withdrew an action: did another desktop too, unseen?
        kind = link.get("kind") if isinstance(link, dict) else None
        if kind not in (action_reassign.KIND, action_withdraw.KIND):
            continue
        uid = link.get("action_uuid")
        others = [r for r in moves.get(uid, []) if r.entry_uuid != e.uuid]
        pulled = withdrawn.get(uid, []) if kind == action_reassign.KIND else []   # two withdrawals agree
        said = [_moved_words(r, known) for r in others] + [_withdrawn_html([w], known)[3:] for w in pulled]
        if said:
            parts.append("<p><b>⚠ Clash</b> The same action was also " + " and ".join(said)
                         + ", on a desktop that had not seen this entry. "
                         + ("Both new actions stand until the room settles who owns it.</p>" if not pulled and
                            kind == action_reassign.KIND else
                            "The new action stands until the room withdraws it or marks it done.</p>"))
    if e.amends_uuid:
        parts.append(f"<p><b>Amends</b> {_entry_ref(e.amends_uuid, known)}</p>")
    if row.amended_by:
        parts.append("<p><b>⚠ Amended by</b> " + ", ".join(_entry_ref(u, known) for u in row.amended_by)
                     + ": read the later entry too.</p>")
    parts.append(f"<p style='color:gray'>Recorded {fmt.local_time(e.recorded_at, with_date=True)} by "
                 f"{_esc(e.recorded_by_shown)} · entry {html.escape(e.uuid)} · device seq {e.device_seq} · "
                 f"{_at_hub(e)}</p>")
    return "".join(parts)


def _at_hub(e: rq.Entry) -> str:
    if not e.hub_seq:
        return "not yet at the hub"
    late = reached_hub.late_by(e.recorded_at, e.hub_received_at, e.device_sent_at)
    off = reached_hub.clock_off(e.hub_received_at, e.device_sent_at)
    clock = ("" if off is None else " · " + reached_hub.clock_words(
        off, fmt.span(round(abs(off.total_seconds()) / 60) * 60)) + " when it sent it")
    if late is None:
        return f"at the hub (seq {e.hub_seq}){clock}"
    return (f"at the hub (seq {e.hub_seq}) <b>from {fmt.local_time(e.hub_received_at, with_date=True)}, "
            f"{fmt.span(late.total_seconds())} after it was recorded</b>: others could not see it before then"
            + ("" if e.device_sent_at else f" ({reached_hub.TWO_CLOCKS})") + clock)


class DecisionsView(QWidget):
    # "message_delivery": the hub's word on a SPoC message (sent, failed) synced in redraws its entry.
    KINDS = frozenset({"record", "message_delivery"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.author = current_author()
        self.rows: list[rq.DecisionRow] = []
        self.known: dict[str, rq.EntryRef] = {}
        self.messages: dict = {}   # decision uuid -> the SPoC message it records (models.service.messages)
        self.organisations: list[tuple[str, str]] = []
        self.days: tuple[date, date] | None = None   # of the oldest and the newest entry
        self._page = ""
        self._select_next: str | None = None   # an entry just recorded: selected when the log is next drawn
        self.dialog = None
        self.moves: dict[str, list] = {}   # action uuid -> the entries reassigning it (models.service.actions)
        self.withdrawn: dict[str, list] = {}   # action uuid -> the entries withdrawing it
        self._reads = tasks.LatestRead(self, lambda read: self._draw(*read), self._read_failed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addLayout(self._filters())
        outer.addLayout(self._actions())
        split = self.split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.count_label = muted("")
        left_layout.addWidget(self.count_label)
        self.table = make_table(HEADERS, "Decision log entries, newest first", stretch=2)
        self.table.itemSelectionChanged.connect(self._show_detail)
        left_layout.addWidget(self.table, 1)
        split.addWidget(left)
        self.detail = QTextBrowser()
        self.detail.setAccessibleName("The selected decision, every field")
        self.detail.setOpenLinks(False)
        split.addWidget(self.detail)
        split.setSizes([800, 540])
        self._divider_moved = False   # by the reader: the table no longer widens itself
        self._fitted: list[int] = []   # the columns' widths the rows were last measured at
        split.splitterMoved.connect(lambda _pos, _index: self._divider_moved_by_reader())
        self.stack = EmptyOr(EMPTY_TEXT, split)
        outer.addWidget(self.stack, 1)
        self.status = StatusLine()
        outer.addWidget(self.status)

    def _divider_moved_by_reader(self) -> None:
        self._divider_moved = True
        self._fit_columns()

    def _fit_columns(self) -> None:
        """The decision keeps ``DECISION_CHARS`` characters' width: at twice the text on a 1366x768 laptop the other
        columns left it 255 pixels, a decision read seven lines and the table showed one entry. Short of width the
        decision maker wraps first, then (unless the reader has moved the divider) the table takes up to
        ``TABLE_SHARE`` of the width from the selected entry beside it, so the time, the maker and the decision are
        in view; what is still too wide (the counts, the message) scrolls sideways."""
        table = self.table
        chars = table.fontMetrics().averageCharWidth()
        least = DECISION_CHARS * chars
        wrap_to_fit(table, 2, least, (1,), MAKER_CHARS * chars)
        short = table.columnWidth(0) + table.columnWidth(1) + least - table.viewport().width()
        sizes = self.split.sizes()
        if not self._divider_moved and short > 0 and len(sizes) == 2 and sum(sizes) > 0:
            wider = min(sizes[0] + short, int(sum(sizes) * TABLE_SHARE))
            if wider > sizes[0]:
                self.split.setSizes([wider, sum(sizes) - wider])
        keep_column_least(table, 2, least)
        if self._widths() != self._fitted:   # the rows measured again only at new widths
            self._fitted = self._widths()
            table.resizeRowsToContents()

    def _widths(self) -> list[int]:
        return [self.table.columnWidth(c) for c in range(self.table.columnCount())]

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.table.rowCount():
            self._fit_columns()

    # --- building ------------------------------------------------------------------
    def _filters(self) -> FlowBar:
        bar = FlowBar()
        today = self.clock().astimezone(rq.UK).date()
        self.use_dates = QCheckBox("&Between dates")
        self.use_dates.setAccessibleName("Filter by date range")
        self.date_from = QDateEdit(_qdate(today))
        self.date_to = QDateEdit(_qdate(today))
        for edit, name in ((self.date_from, "From date (UK)"), (self.date_to, "To date (UK)")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
            edit.setAccessibleName(name)
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.use_dates.toggled.connect(self._dates_toggled)
        bar.addWidget(self.use_dates)
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.date_to)
        self.author_filter = QComboBox()
        self.author_filter.setEditable(True)
        self.author_filter.setAccessibleName("Filter by author (decision maker or recorder)")
        self.author_filter.lineEdit().setPlaceholderText("Anyone")
        self.author_filter.currentTextChanged.connect(lambda _t: self.refresh())
        label = QLabel("A&uthor:")
        label.setBuddy(self.author_filter)
        bar.addWidget(label)
        bar.addWidget(self.author_filter, 1)
        self.provider_filter = QComboBox()
        self.provider_filter.setAccessibleName("Filter by provider")
        self.provider_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        label = QLabel("Provider:")   # Alt+R is the Alert centre tab
        label.setBuddy(self.provider_filter)
        bar.addWidget(label)
        bar.addWidget(self.provider_filter, 1)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Words in the decision, rationale, options…")
        self.text_filter.setAccessibleName("Filter by words")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.textChanged.connect(lambda _t: self.refresh())
        label = QLabel("F&ind:")
        label.setBuddy(self.text_filter)
        bar.addWidget(label)
        bar.addWidget(self.text_filter, 2)
        return bar

    def _actions(self) -> FlowBar:
        bar = FlowBar()
        for attr, text, name, slot in (
                ("new_button", "New decision…", "Record a new decision (Insert)", self.new_decision),
                ("amend_button", "A&mend…", "Amend the selected decision (a new entry)", self.amend_selected),
                ("verify_button", "Verify c&hain", "Verify the decision log's hash chains", self.verify_chain),
                ("export_button", "E&xport…", "Export the decision log of the chosen dates", self.choose_export)):
            b = QPushButton(text)
            b.setAccessibleName(name)
            b.setToolTip(name)
            b.clicked.connect(lambda _c=False, f=slot: f())
            setattr(self, attr, b)
            bar.addWidget(b)
        bar.addStretch(1)
        # Insert for a new decision: Alt+W is the Week ahead tab, as Alt+E, Alt+R and Alt+V are the window's.
        insert = QAction(self)
        insert.setShortcut(QKeySequence(Qt.Key.Key_Insert))
        insert.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        insert.triggered.connect(lambda _c=False: self.new_decision())
        self.addAction(insert)
        return bar

    def _dates_toggled(self, on: bool) -> None:
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.refresh()

    # --- drawing -------------------------------------------------------------------
    def current_filter(self) -> rq.DecisionFilter:
        dates = self.use_dates.isChecked()
        return rq.DecisionFilter(
            date_from=self.date_from.date().toPython() if dates else None,
            date_to=self.date_to.date().toPython() if dates else None,
            author=self.author_filter.currentText().strip() or None,
            provider=self.provider_filter.currentData() or None,
            text=self.text_filter.text().strip() or None)

    def refresh(self) -> None:
        """Read the log through the filters off the UI thread; draw it when it arrives."""
        store, flt = self.store, self.current_filter()
        def read():
            ended = actions_door.endings(store)
            return door.log_page(store, flt), ended.moves, ended.withdrawn
        self._reads(read)

    def _read_failed(self, exc: BaseException) -> None:
        self.status.say(f"Could not read the decision log: {tasks.sentence(exc, write=False)}")

    def _draw(self, page: door.LogPage, moves: dict[str, list] | None = None,
              withdrawn: dict[str, list] | None = None) -> None:
        keep = self._select_next or self.selected_uuid()
        self.moves, self.withdrawn = moves or {}, withdrawn or {}
        clashed = clashing_entries(self.moves, self.withdrawn)
        self._select_next = None
        self._load_choices(page)
        self.rows, self.known, self.days, self.organisations = page.rows, page.refs, page.days, page.organisations
        self.messages = page.messages
        self.stack.show_empty(page.total == 0)
        now = self.clock()
        fill_table(self.table, [[
            cell(day_and_time(r.entry.decided_at, now), data=r.entry.uuid),
            cell(r.entry.decision_maker, tooltip=r.entry.decision_maker_role),
            cell(r.entry.decision.splitlines()[0][:140] if r.entry.decision else ""),
            cell(str(len(r.actions)), align_right=True),
            cell(" · ".join(w for w in ("amends" if r.entry.amends_uuid else "",
                                        "⚠ amended" if r.amended_by else "",
                                        "⚠ clash" if r.entry.uuid in clashed else "") if w),
                 tooltip=("A later entry corrects this one: read it too" if r.amended_by else None)
                 if r.entry.uuid not in clashed else
                 "This entry reassigned or withdrew an action another desktop also reassigned, unseen: each new "
                 "action stands"),
            self._message_cell(self.messages.get(r.entry.uuid))]
            for r in self.rows[:SHOWN_AT_MOST]])
        self._fitted = self._widths()   # fill_table measured the rows at these
        self._fit_columns()
        if len(self.rows) > SHOWN_AT_MOST:
            self.count_label.setText(f"The newest {SHOWN_AT_MOST} of {page.total} entries shown ({len(self.rows)} "
                                     "match the filters): choose dates, an author, a provider or words for older ones")
        else:
            self.count_label.setText(f"{len(self.rows)} of {page.total} entries shown, newest decision first")
        self.select_uuid(keep or (self.rows[0].entry.uuid if self.rows else None))
        self._show_detail()

    @staticmethod
    def _message_cell(message):
        if message is None:
            return cell("")
        colours = theme.severity_colours(3) if message.delivery == "failed" else None
        return cell(DELIVERY_WORDS[message.delivery], colours=colours, tooltip=delivery_text(message))

    def _load_choices(self, page: door.LogPage) -> None:
        authors = page.authors
        existing = [self.author_filter.itemText(i) for i in range(self.author_filter.count())]
        if existing != authors:
            text = self.author_filter.currentText()
            self.author_filter.blockSignals(True)
            self.author_filter.clear()
            self.author_filter.addItems(authors)
            self.author_filter.setCurrentText(text)
            self.author_filter.blockSignals(False)
        orgs = page.organisations
        current = self.provider_filter.currentData()
        extra = [current] if current and current not in {c for c, _n in orgs} else []
        wanted = [None] + [code for code, _name in orgs] + extra
        if [self.provider_filter.itemData(i) for i in range(self.provider_filter.count())] != wanted:
            self.provider_filter.blockSignals(True)
            self.provider_filter.clear()
            self.provider_filter.addItem("Any provider", None)
            for code, name in orgs:
                self.provider_filter.addItem(f"{code} — {fmt.short_name(name)}", code)
            for code in extra:  # named in the log but not (yet) an organisation here
                self.provider_filter.addItem(code, code)
            self.provider_filter.setCurrentIndex(max(0, self.provider_filter.findData(current)))
            self.provider_filter.blockSignals(False)

    def set_provider(self, code: str | None) -> None:
        index = self.provider_filter.findData(code)
        if index < 0 and code:  # a code named in the log but not (yet) an organisation here
            self.provider_filter.addItem(code, code)
            index = self.provider_filter.count() - 1
        self.provider_filter.setCurrentIndex(max(0, index))

    def selected_uuid(self) -> str | None:
        return selected_key(self.table)

    def selected_row(self) -> rq.DecisionRow | None:
        uid = self.selected_uuid()
        return next((r for r in self.rows if r.entry.uuid == uid), None)

    def select_uuid(self, uuid: str | None) -> None:
        select_key(self.table, uuid)

    def _show_detail(self) -> None:
        row = self.selected_row()
        self.amend_button.setEnabled(row is not None)
        page = (detail_html(row, self.known, self.messages.get(row.entry.uuid), self.moves,
                            self.withdrawn) if row else
                "<p><i>No entry matches the filters. Clear a filter to see more.</i></p>")
        if page != self._page:  # the minute's redraw must not jump the reader back to the top
            self._page = page
            self.detail.setHtml(page)

    # --- writing ------------------------------------------------------------------------
    def _open(self, amends: rq.Entry | None = None) -> DecisionDialog:
        dialog = DecisionDialog(self.store, self.clock, self.author, amends=amends, orgs=self.organisations,
                                lost_basis=self.lost_basis(), parent=self)
        dialog.accepted.connect(lambda: self._saved(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def lost_basis(self) -> int | None:
        """The room's basis for hours lost (File > Settings), None for the handover table's default."""
        settings = getattr(self.window(), "settings", None)
        return getattr(settings, "handover_hours_lost_beyond", None)

    def new_decision(self) -> DecisionDialog:
        return self._open()

    def amend_selected(self) -> DecisionDialog | None:
        row = self.selected_row()
        return self._open(row.entry) if row else None

    def _saved(self, dialog: DecisionDialog) -> None:
        self._select_next = dialog.saved.uuid
        self.refresh()
        what = "Amendment" if dialog.amends else "Decision"
        self.status.say(f"{what} recorded with a situation snapshot and {len(dialog.actions)} action(s); "
                        "it reaches other desktops with the next sync.")

    # --- checking and exporting (reads, off the UI thread) ---------------------------------
    def verify_chain(self) -> None:
        """Check the hash chains off the UI thread; say what was found (``dialog``)."""
        self.verify_button.setEnabled(False)
        self.status.say("Verifying the decision log…")

        def done(report: records_verify.VerifyReport) -> None:
            self.verify_button.setEnabled(True)
            self.status.say(report.summary())
            details = "\n".join(p.sentence() for p in report.problems) or None
            alone = report.hub is not None and not report.hub.compared   # never "intact" for the hub's part
            self.dialog = show_message(self, "Decision log verification",
                                       ("The decision log is intact here; it could not be compared with the "
                                        "hub's. " if report.intact and alone else
                                        "The decision log is intact. " if report.intact else
                                        "The decision log is BROKEN: it was changed outside the app. ")
                                       + report.summary(), problem=not report.intact, details=details)

        def failed(exc: BaseException) -> None:
            self.verify_button.setEnabled(True)
            self.status.say(f"Not verified: {tasks.sentence(exc, write=False)}")
        store = self.store
        tasks.QueryOp(parent=self, op=lambda: door.verify(store), success=done).failure(failed).run_in_background()

    def export_period(self) -> tuple[date, date]:
        """The dates to export: the date filter when set, else the UK day of the oldest to the newest entry."""
        if self.use_dates.isChecked():
            return self.date_from.date().toPython(), self.date_to.date().toPython()
        today = self.clock().astimezone(rq.UK).date()
        return self.days or (today, today)

    def choose_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the decision log into an empty folder",
                                                  str(Path.home()))
        if folder:
            self.export_to(Path(folder))

    def export_to(self, folder: Path) -> None:
        """Export the period into ``folder`` off the UI thread (a PDF of a busy month takes seconds);
        say what was written, or why nothing was (``dialog``)."""
        first, last = self.export_period()
        store = self.store
        self.export_button.setEnabled(False)   # one export at a time: two into one folder would clash
        self.status.say(f"Exporting the decision log from {first:%d %b %Y} to {last:%d %b %Y}…")

        def done(result) -> None:
            from models.records.export import signing   # loaded already, by the export off the UI thread

            self.export_button.setEnabled(True)
            text = (f"Exported {count(result.entries, 'decision')} from {first:%d %b %Y} to {last:%d %b %Y} (UK dates) "
                    f"into {result.out_dir}: CSV, JSON, PDF ({count(result.pdf_pages, 'page')}) and a manifest, "
                    f"signed with this desktop's export key {signing.spaced(result.key_fingerprint)} "
                    f"(register it once with the records team; they check each export against it).")
            if not result.verify.intact:
                text += f" WARNING: the decision log is broken ({result.verify.first_problem.sentence()})."
            for note in result.notes:   # a folder every user of the computer can read (models.owner_only)
                if note.startswith("warning: "):
                    text += f" Warning: {note[len('warning: '):]}."
            self.status.say(text)
            self.dialog = show_message(self, "Export decision log", text, problem=not result.verify.intact)

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            why = str(exc) if isinstance(exc, ValueError) else tasks.sentence(exc, write=False)
            self.status.say(f"Export failed: {why}")
            self.dialog = show_message(self, "Export decision log", f"Nothing was exported: {why}", problem=True)
        icb = getattr(getattr(self.window(), "settings", None), "icb_name", None)   # Settings > ICB
        tasks.QueryOp(parent=self, op=lambda: _export(store, first, last, folder, icb),
                      success=done).failure(failed).run_in_background()


def _export(store, first: date, last: date, folder: Path, icb: str | None = None):
    # Imported here, off the UI thread: the export loads ReportLab (over half a second the first time).
    from models.records.export.records import ExportError, export_records

    # A full garbage collection holds every thread, the UI's too, while it scans every object in
    # the process (90-130 ms here), and the PDF's many objects set off one or two of them.  The
    # objects made before the export are set aside for its duration (gc.freeze): those collections
    # then scan only the export's own.  Nothing is lost: they are scanned again from unfreeze on.
    gc.freeze()
    try:
        return export_records(store, first, last, folder, icb=icb)   # else $SCC_ICB_NAME (records.icb_name)
    except ExportError as exc:   # written for the user (a folder holding an export, one not writable)
        raise ValueError(str(exc)) from exc
    finally:
        gc.unfreeze()
