"""The alert centre: every alert the room has, open, acknowledged or cleared, through a provider
and a rule filter, and acknowledging one with a note.

Each row says what a person needs to act on it: severity, the rule's sentence with the value
against its threshold (and, for a flapping alert, the one line its folded run left), the provider
or pillar, when it was raised (UK time) and how long it has been open, who acknowledged it, when,
with what note, and whether the hub's escalation emailed the person on call.  The selected alert
is shown in full under the table.

One tab's page is one read off the UI thread (``models.service.alert_centre.centre`` through a
``LatestRead``); acknowledging is a write through the door (``models.service.alerts.acknowledge``,
a ``CollectionOp``): synced as an ``alert_ack``, so the alert is acknowledged on every desktop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.author import current_author
from models.service import alert_centre
from models.service import alerts as door
from models.service.changes import Outcome
from models.uk_time import day_clock
from ui import escalation_status
from ui import format as fmt
from ui import stale_limits, tasks
from ui.alert_banner import SEVERITY_COLOURS
from ui.theme import NOT_MET_COLOURS
from ui.flow_bar import FlowBar
from ui.text import plain_label
from ui.widgets import CharsEdit, EmptyOr, cell, fill_table, keep_column_least, make_table, muted

# Two lines: at 1280x720 the column is narrower than "Acknowledged, escalated" (drawn ":knowledged, escalate").
HEADERS = ("Severity", "Alert", "Provider", "Value", "Raised", "Open for", "Acknowledged,\nescalated")
SENTENCE_CHARS = 24   # the alert's sentence's least width, in characters: past it the table scrolls sideways
STATE_TITLES = {"open": "Open", "acknowledged": "Acknowledged", "cleared": "Cleared"}
EMPTY_TEXT = ("No alerts yet. Alerts the hub raises (OPEL, REAP, handover waits, response times, late data) "
              "and this desktop's own appear here, with who acknowledged them.")
_KEEP = object()


# What the hub does next, as its failure notices end (sync/hub/escalation.py), said short in the table.
NEXT_STEPS = (("; the hub is trying again while the alert is open", "the hub is trying again"),
              ("; emailing the SCC fallback address instead", "the hub is emailing the SCC fallback address"),
              (". Not sent again, so nobody gets it many times: phone to make sure it arrived",
               "the mail server may have it: not sent again"))


def escalation_text(e: alert_centre.Escalation | None, *, short: bool = False) -> str:
    """The hub's escalation email: sent to whom and when, or failed. A failure names who it was for, when it
    was tried and what the hub does next, and says to phone; ``short`` (the table's cell): the mail server's
    reason is left to the tooltip and the detail under the table (in the cell it ran to seven lines, the
    instruction to phone last and the person never named)."""
    if e is None:
        return ""
    email = _email_text(e, short)
    page = page_text(e, short=short)
    return email + (f"\n{page}" if page else "")


def page_text(e: alert_centre.Escalation | None, *, short: bool = False) -> str:
    """The hub's page through its paging gateway (the second channel, session 27), when there was one: the
    gateway took it, or it failed (why; ``short`` leaves the why to the tooltip), and phone the on-call."""
    if e is None or not e.page:
        return ""
    at = f" at {fmt.local_time(e.paged_at)}" if e.paged_at else ""
    if e.page == "sent":
        return f"Paged through the gateway{at}" + (f" ({e.page_error})" if e.page_error and not short else "")
    if short:
        return f"Page failed{at} — phone the on-call"
    return f"Page through the gateway failed{at}: {e.page_error or 'no reason given'}"


def _email_text(e: alert_centre.Escalation, short: bool) -> str:
    at = f" at {fmt.local_time(e.at)}" if e.at else ""
    if e.outcome == "sent":   # the hub's words, when it went after failures: "late: its first try failed ..."
        late = (", late" if short else f" ({e.error})") if e.error else ""
        return f"Emailed {e.to or 'the on-call'}{at}{late}"
    who = e.to or "the on-call"
    if not short:
        return f"Email to {who} failed{at}: {e.error or 'no reason given'} — phone the on-call"
    step = next((said for tail, said in NEXT_STEPS if (e.error or "").endswith(tail)), "")
    return f"Email to {who} failed{at} — phone the on-call" + (f"; {step}" if step else "")


def acknowledged_text(a: alert_centre.CentreAlert) -> str:
    if a.acknowledged_at is None:
        return ""
    return (f"{a.acknowledged_by} at {fmt.local_time(a.acknowledged_at, with_date=True)}"
            + (f": {a.acknowledged_note}" if a.acknowledged_note else ""))


# Metrics whose figures come slowly (CRITCON hourly, response times per hour): the longer "Stale after".
SLOW_METRICS = ("critcon_", "cc_", "response_", "c1_", "c2_", "c3_", "c4_")


def value_text(a: alert_centre.CentreAlert, now: datetime | None = None) -> str:
    """The value column: what raised it, said as such, and the figure now where known (else the rule;
    the sentence has both).  A figure older than its "Stale after" limit (the feed quiet) is said with its
    time, "112% at Mon 20:58", not "now": read at 03:00, "now 112%" was six hours old."""
    if not a.value:
        return a.threshold or "—"
    second = f"now {a.current}" if a.current else (f"rule {a.threshold}" if a.threshold else "")
    if a.current and a.current_at is not None and now is not None:
        limits = stale_limits.current()
        slow = (a.metric or "").startswith(SLOW_METRICS)
        if fmt.is_stale(now, a.current_at, limits.slow if slow else limits.figures):
            second = f"{a.current} at {day_clock(now, a.current_at)}"
    return f"raised {a.value}" + (f"\n{second}" if second else "")


class AlertsView(QWidget):
    KINDS = frozenset({"alert", "record"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store, self.clock = store, clock
        self.state = "open"
        self.provider: str | None = None
        self.rule: str | None = None
        self.row_uuids: list[str] = []
        self._alerts: dict[str, alert_centre.CentreAlert] = {}
        self._page: alert_centre.CentrePage | None = None
        self._writing = False
        self._reads = tasks.LatestRead(self, self._draw, self._read_failed)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        bar = FlowBar()
        self.state_group = QButtonGroup(self)
        self.state_buttons: dict[str, QPushButton] = {}
        for state in alert_centre.STATES:
            b = QPushButton(STATE_TITLES[state])
            b.setCheckable(True)
            b.setAccessibleName(f"Show {STATE_TITLES[state].lower()} alerts")
            b.clicked.connect(lambda _c=False, s=state: self.show_state(s))
            self.state_group.addButton(b)
            bar.addWidget(b)
            self.state_buttons[state] = b
        self.state_buttons["open"].setChecked(True)
        bar.addSpacing(16)
        self.provider_filter = self._combo(bar, "Pro&vider:", "Show alerts about one provider", "All providers")
        self.rule_filter = self._combo(bar, "R&ule:", "Show alerts of one rule", "All rules")
        bar.addStretch(1)
        layout.addLayout(bar)
        self.table = make_table(HEADERS, "Alerts", stretch=1)
        self.table.itemSelectionChanged.connect(self._selected)
        layout.addWidget(self.table, 1)
        self.none_label = muted("")
        self.none_label.hide()
        layout.addWidget(self.none_label)
        self.detail = plain_label()
        self.detail.setObjectName("card")
        self.detail.setAccessibleName("The selected alert in full")
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 4)
        layout.addWidget(self.detail)
        act = FlowBar()
        who = QLabel("Recording &as:")
        self.user_edit = CharsEdit(current_author(), chars=22, least=14)   # grows with the text size
        self.user_edit.setAccessibleName("Name recorded with the acknowledgement")
        who.setBuddy(self.user_edit)
        note = QLabel("&Note:")
        self.note_edit = QLineEdit()
        self.note_edit.setAccessibleName("Note recorded with the acknowledgement")
        self.note_edit.setPlaceholderText("What is being done about it (sent to every desktop)")
        self.note_edit.returnPressed.connect(self.acknowledge)
        note.setBuddy(self.note_edit)
        self.ack_button = QPushButton("Ac&knowledge")
        self.ack_button.setAccessibleName("Acknowledge the selected alert with the note")
        self.ack_button.clicked.connect(lambda _c=False: self.acknowledge())
        for w, stretch in ((who, 0), (self.user_edit, 0), (note, 0), (self.note_edit, 1), (self.ack_button, 0)):
            act.addWidget(w, stretch)
        layout.addLayout(act)
        self.message = plain_label()
        self.message.setAccessibleName("Message")
        self.message.hide()
        layout.addWidget(self.message)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        # The hub e-mails nobody about an unacknowledged alert (ui.escalation_status): said above the
        # alerts, with no alerts too.
        self.escalation_note = plain_label()
        self.escalation_note.setAccessibleName("Escalation by e-mail")
        self.escalation_note.setStyleSheet(escalation_status.OFF_STYLE.replace("1px 6px", "6px"))
        self.escalation_note.hide()
        outer.addWidget(self.escalation_note)
        self.stack = EmptyOr(EMPTY_TEXT, content)
        outer.addWidget(self.stack)
        self._enable()
        # Drawn by refresh(), which the window calls when the view is first shown.

    def _combo(self, bar: FlowBar, label: str, name: str, everything: str) -> QComboBox:
        text = QLabel(label)
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.addItem(everything, None)
        # Sized to a name, not to the longest one: forty trusts' names would push the window past 1366.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.activated.connect(lambda _i: self._filter_chosen())
        text.setBuddy(combo)
        bar.addWidget(text)
        bar.addWidget(combo)
        return combo

    def show_escalation(self, said) -> None:
        """The hub's word on escalation by e-mail (``sync.hub_escalation.Said``): a line when it is off."""
        text = escalation_status.note(said)
        self.escalation_note.setText(text)
        self.escalation_note.setVisible(bool(text))

    # --- reading ---------------------------------------------------------------------------
    def refresh(self) -> None:
        store, now, state, provider, rule = self.store, self.clock(), self.state, self.provider, self.rule
        self._reads(lambda: alert_centre.centre(store, now, state, provider=provider, rule=rule))

    def show_state(self, state: str) -> None:
        self.state = state
        self.state_buttons[state].setChecked(True)
        self.refresh()

    def set_filters(self, *, provider=_KEEP, rule=_KEEP) -> None:
        if provider is not _KEEP:
            self.provider = provider
        if rule is not _KEEP:
            self.rule = rule
        self.refresh()

    def _filter_chosen(self) -> None:
        self.set_filters(provider=self.provider_filter.currentData(), rule=self.rule_filter.currentData())

    def _read_failed(self, exc: BaseException) -> None:
        self._say(f"Could not read the alerts: {tasks.sentence(exc, write=False)}")

    # --- drawing ---------------------------------------------------------------------------
    def _draw(self, page: alert_centre.CentrePage) -> None:
        if (page.state, page.provider, page.rule) != (self.state, self.provider, self.rule):
            return   # a read asked before the user chose another tab or filter: the next one is coming
        self._page = page
        for state, b in self.state_buttons.items():
            b.setText(f"{STATE_TITLES[state]} ({page.counts[state]})")
            bold = QFont(b.font())
            bold.setBold(True)   # the chosen tab is drawn bold: room for it either way
            b.setMinimumWidth(QFontMetrics(bold).horizontalAdvance(b.text()) + 28)
        self._fill_combo(self.provider_filter, page.providers, self.provider)
        self._fill_combo(self.rule_filter, page.rules, self.rule)
        empty = not any(page.counts.values()) and self.provider is None and self.rule is None
        self.stack.show_empty(empty)
        kept = self.row_uuids[self.table.currentRow()] if 0 <= self.table.currentRow() < len(self.row_uuids) else None
        self.row_uuids = [a.uuid for a in page.alerts]
        self._alerts = {a.uuid: a for a in page.alerts}
        self.table.horizontalHeaderItem(5).setText("Cleared" if page.state == "cleared" else "Open for")
        self._fit_columns(page.state)
        rows = [self._row(a, page.now) for a in page.alerts]
        self.table.setRowCount(0)   # replacing items row by row re-measures every column each time
        fill_table(self.table, rows)
        if kept in self._alerts:
            self.select_alert(kept)
        elif self.row_uuids:
            self.table.clearSelection()
            self.table.setCurrentCell(-1, -1)
        filtered = self.provider is not None or self.rule is not None
        what = STATE_TITLES[page.state].lower()
        if not page.alerts:
            self.none_label.setText(f"No {what} alerts match these filters." if filtered else f"No {what} alerts.")
        else:
            self.none_label.setText(_cut_short(page) if page.limited else "")
        self.none_label.setVisible(not page.alerts or page.limited)
        self._selected()

    def _fit_columns(self, state: str) -> None:
        """Widths from the text size, not from measuring every cell: the sentence column takes the
        rest, and a long note or name wraps instead of squeezing it (measuring 200 wrapped rows per
        column would also cost the UI thread a second pass)."""
        self.table.ensurePolished()
        fm = self.table.fontMetrics()
        header, char = self.table.horizontalHeader(), fm.averageCharWidth()
        bold = QFont(self.table.font())
        bold.setBold(True)
        sample = "Mon 12 Jan 07:30 (open 1 h 05 min)" if state == "cleared" else "12 h 05 min"
        # The widest severity word: "WARNING" is wider than "CRITICAL" in bold (at 2.5 times "WARNI…").
        severity = max(QFontMetrics(bold).horizontalAdvance(s.upper()) for s in SEVERITY_COLOURS)
        widths = {0: severity + 16, 2: 28 * char, 3: 17 * char,
                  4: fm.horizontalAdvance("Wed 12 Jan 08:25") + 16, 5: fm.horizontalAdvance(sample) + 16,
                  6: 32 * char}
        widths = {c: max(w, header.sectionSizeHint(c)) for c, w in widths.items()}
        # Larger text on a small screen: the provider and the acknowledgement (which wrap) give way
        # so the sentence keeps 40% of the width; severity, value and times stay whole.
        room = (self.table.viewport().width() or self.width()) * 0.6 - sum(
            w for c, w in widths.items() if c not in (2, 6))
        scale = max(0.4, min(1.0, room / (widths[2] + widths[6])))
        for column, width in widths.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            # Never narrower than the heading's widest line: a clipped heading read ":knowledged, escalate".
            header.resizeSection(column, max(int(width * scale), header.sectionSizeHint(column))
                                 if column in (2, 6) else width)
        # Still too little for the sentence (twice the text at 1366x768: 104 pixels, a word a line, the first
        # alert's row taller than the table and its severity out of view): it keeps its least, the table
        # scrolls sideways.
        keep_column_least(self.table, 1, SENTENCE_CHARS * char)

    def _fill_combo(self, combo: QComboBox, options: list[tuple[str, str]], current: str | None) -> None:
        combo.blockSignals(True)
        try:
            everything = combo.itemText(0)
            combo.clear()
            combo.addItem(everything, None)
            for key, label in options:
                combo.addItem(label, key)
            if current is not None and combo.findData(current) < 0:
                combo.addItem(current, current)   # chosen, nothing of it in the last week: still shown
            combo.setCurrentIndex(max(0, combo.findData(current)) if current is not None else 0)
        finally:
            combo.blockSignals(False)

    def _row(self, a: alert_centre.CentreAlert, now: datetime) -> list:
        text = a.detail + (f"\n{a.summary}" if a.summary else "")
        value = value_text(a, now)
        if a.cleared_at is not None:
            age = (f"{fmt.local_time(a.cleared_at, with_date=True)} "
                   f"(open {fmt.span((a.cleared_at - a.raised_at).total_seconds())})")
        else:
            age = fmt.since(now, a.raised_at)
        follow = "\n".join(t for t in (acknowledged_text(a), escalation_text(a.escalation, short=True)) if t)
        if not follow:
            follow = "Not yet" if a.state == "open" else "—"
        failed = a.escalation is not None and (a.escalation.outcome != "sent" or a.escalation.page == "failed")
        return [cell(a.severity.upper(), colours=SEVERITY_COLOURS.get(a.severity), data=a.uuid),
                cell(text, tooltip=f"{a.rule_name} ({a.rule})"), cell(a.where), cell(value),
                cell(fmt.local_time(a.raised_at, with_date=True), tooltip=fmt.age(now, a.raised_at)),
                cell(age), cell(follow, colours=NOT_MET_COLOURS if failed else None,
                                tooltip=escalation_text(a.escalation) if failed or (
                                    a.escalation is not None and a.escalation.error) else None)]

    def select_alert(self, uid: str) -> None:
        if uid in self.row_uuids:
            self.table.selectRow(self.row_uuids.index(uid))

    def selected(self) -> alert_centre.CentreAlert | None:
        row = self.table.currentRow()
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or not 0 <= row < len(self.row_uuids):
            return None
        return self._alerts.get(self.row_uuids[row])

    def _selected(self) -> None:
        a = self.selected()
        self.detail.setText(self._full(a) if a else "Choose an alert to see it in full"
                            + (" and acknowledge it." if self.state == "open" else "."))
        self._enable()

    def _full(self, a: alert_centre.CentreAlert) -> str:
        now = self._page.now if self._page else self.clock()
        lines = [f"{a.severity.upper()} · {a.rule_name} · {a.where}", a.detail]
        if a.summary:
            lines.append(a.summary)
        raised = f"Raised {fmt.local_time(a.raised_at, with_date=True)} UK time"
        lines.append(raised + (f", cleared {fmt.local_time(a.cleared_at, with_date=True)}" if a.cleared_at
                               else f", open {fmt.since(now, a.raised_at)}") + ".")
        for extra in (acknowledged_text(a) and f"Acknowledged by {acknowledged_text(a)}",
                      escalation_text(a.escalation)):
            if extra:
                lines.append(extra)
        return "\n".join(lines)

    def _enable(self) -> None:
        a = self.selected()
        self.ack_button.setEnabled(not self._writing and a is not None and a.state == "open")

    # --- acting ----------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def acknowledge(self) -> None:
        a = self.selected()
        if a is None or a.state != "open" or self._writing:
            return
        name = self.user_edit.text().strip()
        if not name:
            self._say("Type your name in “Recording as” first: it is recorded with the acknowledgement.")
            self.user_edit.setFocus()
            return
        note, store, at, uid = self.note_edit.text(), self.store, self.clock(), a.uuid
        self._writing = True
        self._enable()

        def landed(outcome: Outcome) -> None:
            self._writing = False
            self._say("" if outcome.applied else "That alert was already acknowledged (here or on another desktop).")
            if outcome.applied and self.note_edit.text() == note:   # not a note typed since
                self.note_edit.clear()
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._writing = False
            self._say(f"Not acknowledged: {tasks.sentence(exc)}")
            self.refresh()
        tasks.CollectionOp(self, lambda: door.acknowledge(store, uid, name, note, at)).success(landed).failure(
            failed).run_in_background()


def _cut_short(page: alert_centre.CentrePage) -> str:
    """What a list cut short shows, and how many it leaves out.  The open tab is in order of
    severity, then time open: what it leaves out is newer, not older (it said "the 200 most recent"
    while leaving out a storm's newest 40)."""
    shown, total = len(page.alerts), page.counts[page.state]
    if page.state == "open":
        return (f"Showing {shown} of {total} open alerts: the worst first, then the longest open; "
                f"choose a provider or a rule to see the other {total - shown}.")
    done = "acknowledged" if page.state == "acknowledged" else "cleared"
    return (f"Showing the {shown} most recently {done} of {total}; choose a provider or a rule to see "
            "older ones.")
