"""Send a single point of contact message: a template, filled from the replica, to contact groups.

The sender picks a template and one or more of the directory's contact groups, fills in what the
template asks for, and sees the message as it will go: the subject and body with the system level,
time, provider and sender filled in, who will receive it, and who will not because the directory has
no email address for them.  Send writes the message, its outbox record and its decision log entry in
one transaction (``models.service.messages``) off the UI thread; the hub emails it with the room's
SMTP set-up.  While the hub cannot be reached the message waits, and the dialog says so.  The newest
messages and what became of each are listed at the bottom.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.service import messages as door
from models.service import system_picture as picture_door
from models.uk_time import day_clock
from ui import format as fmt
from ui import stale_limits, tasks
from ui.records.common import WritingDialog
from ui.widgets import muted

RECENT = 5
_LONG_FIELDS = ("actions", "request", "message")   # asked for in a box of several lines


def _names(people, limit: int = 12) -> str:
    shown = ", ".join(people[:limit])
    return shown + (f" and {len(people) - limit} more" if len(people) > limit else "")


class MessageDialog(WritingDialog):
    def __init__(self, store, clock: Callable[[], datetime], group: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Send a SPoC message")
        self.setAccessibleName("Send a single point of contact message to contact groups")
        self.store, self.clock, self.wanted_group = store, clock, group
        self.page: door.ComposePage | None = None
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(muted("An email from the room to partners in the contact groups you choose, sent by the "
                               "hub with the room's SMTP set-up and recorded in the decision log."))
        form = QFormLayout()
        self.template = QComboBox()
        self.template.setAccessibleName("Message template")
        self.template.currentIndexChanged.connect(self._template_changed)
        form.addRow("&Template:", self.template)
        self.provider = QComboBox()
        self.provider.setAccessibleName("Provider the message is about")
        self.provider.currentIndexChanged.connect(self.refresh_preview)
        form.addRow("&Provider:", self.provider)
        self.role = QLineEdit(door.DEFAULT_ROLE)
        self.role.setAccessibleName("Your role, signed on the message")
        self.role.setMaxLength(120)
        self.role.textChanged.connect(self.refresh_preview)
        form.addRow("Your &role:", self.role)
        self.sent_by = QLabel()
        self.sent_by.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Sent by:", self.sent_by)
        layout.addLayout(form)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Contact groups</b>"))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a group")
        self.filter.setAccessibleName("Find a contact group")
        self.filter.textChanged.connect(self._filter_groups)
        left_layout.addWidget(self.filter)
        self.groups = QTableWidget(0, 2)   # a table: the app's stylesheet themes tables
        self.groups.setHorizontalHeaderLabels(["Group", "With email"])
        self.groups.verticalHeader().hide()
        self.groups.setShowGrid(False)
        self.groups.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.groups.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.groups.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.groups.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.groups.setAccessibleName("Contact groups: tick each group to send to")
        self.groups.itemChanged.connect(self.refresh_preview)
        left_layout.addWidget(self.groups, 1)
        self.fields_host = QWidget()
        self.fields_form = QFormLayout(self.fields_host)
        self.fields_form.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.fields_host)
        split.addWidget(left)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("<b>The message as it will go</b>"))
        self.subject = QLabel()
        self.subject.setTextFormat(Qt.TextFormat.PlainText)
        self.subject.setWordWrap(True)
        self.subject.setAccessibleName("Subject")
        right_layout.addWidget(self.subject)
        self.missing = QLabel()
        self.missing.setObjectName("staleLabel")
        self.missing.setTextFormat(Qt.TextFormat.PlainText)
        self.missing.setWordWrap(True)
        self.missing.setAccessibleName("What the message still needs")
        self.missing.hide()
        right_layout.addWidget(self.missing)
        # With the feed quiet the system's level the message states ("System now at OPEL 3") is as old as its
        # roll-up: said here, above the message, in words; it does not stop the message.
        self.old_level = QLabel()
        self.old_level.setObjectName("staleLabel")
        self.old_level.setTextFormat(Qt.TextFormat.PlainText)
        self.old_level.setWordWrap(True)
        self.old_level.setAccessibleName("How old the system's level in the message is")
        self.old_level.hide()
        right_layout.addWidget(self.old_level)
        self.body = QPlainTextEdit()
        self.body.setReadOnly(True)
        self.body.setAccessibleName("Message body")
        right_layout.addWidget(self.body, 1)
        self.to = QLabel()
        self.to.setTextFormat(Qt.TextFormat.PlainText)
        self.to.setWordWrap(True)
        self.to.setAccessibleName("Who will receive it")
        right_layout.addWidget(self.to)
        self.no_email = QLabel()
        self.no_email.setObjectName("staleLabel")
        self.no_email.setTextFormat(Qt.TextFormat.PlainText)
        self.no_email.setWordWrap(True)
        self.no_email.setAccessibleName("Who will not receive it: no email address")
        right_layout.addWidget(self.no_email)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)

        self.waiting = muted("")
        self.waiting.setAccessibleName("Messages waiting for the hub")
        layout.addWidget(self.waiting)
        self.recent = QLabel()
        self.recent.setTextFormat(Qt.TextFormat.PlainText)
        self.recent.setWordWrap(True)
        self.recent.setAccessibleName("Recent messages and what became of each")
        layout.addWidget(self.recent)
        self.outcome = QLabel()
        self.outcome.setTextFormat(Qt.TextFormat.PlainText)
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("What happened to the message just sent")
        self.outcome.hide()
        layout.addWidget(self.outcome)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = QPushButton("&Send")
        self.send_button.setDefault(True)
        buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_footer(layout, buttons, problems_name="Why the message cannot go")
        self.resize(980, 720)
        self.loaded = False
        self.reload()

    # --- reads ---------------------------------------------------------------------------------------
    def reload(self) -> None:
        store, now = self.store, self.clock()
        tasks.QueryOp(parent=self, op=lambda: (door.compose_page(store, now), door.sent_messages(store, RECENT),
                                               picture_door.system_picture(store, now).system.as_at),
                      success=self._loaded).run_in_background()

    def _loaded(self, result) -> None:
        page, recent, level_at = result
        self._say_level_age(page.now, level_at)
        first = self.page is None
        self.page = page
        self.sent_by.setText(page.sender)
        if first:
            self.template.blockSignals(True)
            for t in page.templates:
                self.template.addItem(t.title, t.name)
            self.template.blockSignals(False)
            self.provider.blockSignals(True)
            self.provider.addItem("(none)", None)
            for code, name, level in page.providers:
                self.provider.addItem(f"{name} ({code}, {level})", code)
            self.provider.blockSignals(False)
            self._fill_groups()
            self._template_changed()
        self.waiting.setText(f"{page.waiting} message(s) waiting in the outbox: {door.QUEUED_WORDS}."
                             if page.waiting else "")
        self.waiting.setVisible(bool(page.waiting))
        self.recent.setText("Recent messages:\n" + "\n".join(
            f"  {m.subject} — {', '.join(m.groups)} — {m.status}" for m in recent) if recent else "")
        self.recent.setVisible(bool(recent))
        self.loaded = True
        self.refresh_preview()

    def _say_level_age(self, now: datetime, level_at: datetime | None) -> None:
        """Found at 03:00 with the feed down since 21:00: the message said "System now at OPEL 3" from the 20:53
        roll-up and nothing in the dialog said how old that was."""
        if level_at is None or not fmt.is_stale(now, level_at, stale_limits.current().opel):
            self.old_level.setText("")
            self.old_level.hide()
            return
        self.old_level.setText(f"STALE: the system's level in this message is from {day_clock(now, level_at)} "
                               f"({fmt.age(now, level_at)}); nothing newer has come from the feed. "
                               "Check it before sending.")
        self.old_level.show()

    def _fill_groups(self) -> None:
        self.groups.blockSignals(True)
        self.groups.setRowCount(len(self.page.groups))
        for row, g in enumerate(self.page.groups):
            item = QTableWidgetItem(g.label)
            item.setData(Qt.ItemDataRole.UserRole, g.key)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if g.key == self.wanted_group else Qt.CheckState.Unchecked)
            item.setToolTip(_names([c.name for c in g.members], 30))
            count = QTableWidgetItem(f"{g.with_email} of {len(g.members)}")
            count.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.groups.setItem(row, 0, item)
            self.groups.setItem(row, 1, count)
        self.groups.resizeRowsToContents()
        self.groups.blockSignals(False)

    def _filter_groups(self, text: str) -> None:
        words = text.casefold().split()
        for row, item in enumerate(self._items()):
            self.groups.setRowHidden(row, not all(w in item.text().casefold() for w in words))

    def _items(self) -> list[QTableWidgetItem]:
        return [self.groups.item(row, 0) for row in range(self.groups.rowCount())]

    def _template_changed(self, *_args) -> None:
        if self.page is None:
            return
        kept = {name: self._text(w) for name, w in self.fields.items()}
        while self.fields_form.rowCount():
            self.fields_form.removeRow(0)
        self.fields = {}
        chosen = self.page.template(self.template.currentData())
        for name in chosen.fields:
            if name in _LONG_FIELDS:
                edit = QPlainTextEdit(kept.get(name, ""))
                edit.setTabChangesFocus(True)
                edit.setFixedHeight(72)
                edit.textChanged.connect(self.refresh_preview)
            else:
                edit = QLineEdit(kept.get(name, ""))
                edit.textChanged.connect(self.refresh_preview)
            label = name.replace("_", " ").capitalize()
            edit.setAccessibleName(label)
            edit.setObjectName(f"field_{name}")
            self.fields_form.addRow(f"{label}:", edit)
            self.fields[name] = edit
        self.refresh_preview()

    @staticmethod
    def _text(widget) -> str:
        return widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()

    # --- the preview ---------------------------------------------------------------------------------
    def chosen_groups(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self._items()
                if item.checkState() == Qt.CheckState.Checked]

    def check(self, name: str, on: bool = True) -> None:
        for item in self._items():
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def _input(self) -> dict:
        return {"template": self.template.currentData(), "groups": self.chosen_groups(),
                "values": {name: self._text(w) for name, w in self.fields.items()},
                "provider": self.provider.currentData(), "sender_role": self.role.text()}

    def refresh_preview(self, *_args) -> None:
        """The message as it would go; what stops it is said, not raised (the sender is still typing)."""
        if self.page is None or self.template.currentData() is None:
            return
        given = self._input()
        d = door.draft(self.page, given["template"], given["groups"], given["values"], provider=given["provider"],
                       sender_role=given["sender_role"])
        self.subject.setText(f"Subject: {d.subject}")
        self.missing.setText(f"Before it can go: {d.problem}" if d.problem else "")
        self.missing.setVisible(d.problem is not None)
        self.body.setPlainText(d.body)
        self.send_button.setEnabled(d.resolved is not None and d.problem is None)
        if d.resolved is None:
            self.to.setText(f"To: {d.group_problem}.")
            self.no_email.hide()
            return
        self.to.setText(f"To ({len(d.resolved.recipients)}): "
                        + _names([f"{r.name} <{r.address}>" for r in d.resolved.recipients]))
        self.no_email.setText(f"Not emailed, no email address in the directory ({len(d.resolved.no_email)}): "
                              + _names([f"{c.name} ({c.organisation})" for c in d.resolved.no_email]))
        self.no_email.setVisible(bool(d.resolved.no_email))

    # --- sending -------------------------------------------------------------------------------------
    def save(self) -> None:
        if self.page is None:
            return
        given, store, now = self._input(), self.store, self.clock()
        offset = getattr(self.clock, "offset", None)   # a HubClock: the snapshot's last sync on its clock
        self.write(lambda: door.send_message(store, **given, now=now, clock_offset=offset))

    def landed(self, sent: door.Sent) -> None:
        """Sent: the dialog stays, saying where it is (queued until the hub takes it) and that it is logged."""
        self.saved = sent
        n = len(sent.preview.resolved.recipients)
        self.outcome.setText(f"Recorded in the decision log. “{sent.preview.filled.subject}” to {n} recipient(s): "
                          f"{door.QUEUED_WORDS}; the outcome shows under Recent messages.")
        self.outcome.show()
        self.send_button.setEnabled(False)
        self.send_button.hide()
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.reload()

    def failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValueError):   # TemplateError, GroupError: they name the field and why
            self.error.setText("Not sent. " + str(exc))
            self.error.show()
        else:
            super().failed(exc)


def open_dialog(window, group: str | None = None) -> MessageDialog:
    """From the main window's menu: ``window`` has the store and the clock."""
    dialog = MessageDialog(window.store, window.clock, group, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
