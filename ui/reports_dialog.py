"""File > Reports…: build one of the room's reports (the brief, the handover, the sitrep of a day, the
board report of a week or a month) from the replica into a folder, off the UI thread (``ui.tasks``),
through the door (``models.service.reports``).  The window stays live while it builds; the dialog then
says where it wrote the files and offers to open the folder.  Works offline: a report reads only the
replica."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from models.service import errors
from models.service import reports as door
from ui import tasks
from ui.uk_time_edit import NotAUkTime, UkTimeEdit
from models.reports.words import count

DEFAULT_FOLDER = Path.home() / "SCC reports"


class ReportsDialog(QDialog):
    def __init__(self, store, clock: Callable[[], datetime], parent=None, folder: Path = DEFAULT_FOLDER) -> None:
        super().__init__(parent)
        self.store, self.clock = store, clock
        self.written: door.Written | None = None
        self.setWindowTitle("Reports")
        self.report = QComboBox()
        for name in door.NAMES:
            self.report.addItem(door.DESCRIPTIONS[name], name)
        self.now = QRadioButton("Now")
        self.now.setChecked(True)
        self.then = QRadioButton("At")
        # A UK wall clock that keeps the instant it shows (the autumn change's repeated hour) and
        # refuses one the spring change skips, by name.
        self.at = UkTimeEdit(clock(), "As at (UK time)", field="As at")
        for w in (self.at, self.at.zone):
            w.setEnabled(False)
            self.then.toggled.connect(w.setEnabled)
        when = QHBoxLayout()
        for w in (self.now, self.then, self.at, self.at.zone):
            when.addWidget(w)
        when.addStretch(1)
        self.first, self.last = QDateEdit(), QDateEdit()   # the UK days of a sitrep or a board report
        today = clock().astimezone(door.UK).date()
        for edit, day in ((self.first, today - timedelta(days=7)), (self.last, today - timedelta(days=1))):
            edit.setDisplayFormat("ddd dd MMM yyyy")
            edit.setCalendarPopup(True)
            edit.setDate(QDate(day.year, day.month, day.day))
        self.first.dateChanged.connect(self._follow)
        days = QHBoxLayout()
        days.addWidget(self.first)
        self.to_label = QLabel("to")
        days.addWidget(self.to_label)
        days.addWidget(self.last)
        days.addStretch(1)
        self.report.currentIndexChanged.connect(self._period_shown)
        self.folder = QLineEdit(str(folder))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_folder)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(browse)
        form = QFormLayout()
        form.addRow("&Report", self.report)
        form.addRow("As at (UK time)", when)
        form.addRow("Days (UK)", days)
        folder_label = QLabel("&Folder")
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, where)
        self.status = QLabel("Built from this desktop's replica: it works with the hub or the network down.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.build_button = buttons.addButton("&Build", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = buttons.addButton("&Open folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button.setEnabled(False)
        self.build_button.clicked.connect(self.build)
        self.open_button.clicked.connect(self.open_folder)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._period_shown()
        self.resize(560, self.sizeHint().height())

    def _period_shown(self) -> None:
        """The days apply to the sitrep (one: the first) and the board (a period); the others are as at a time."""
        name = self.report.currentData()
        self.first.setEnabled(name in door.PERIOD_NAMES)
        for w in (self.to_label, self.last):
            w.setEnabled(name == "board")
        if name == "sitrep":
            self.first.setDate(self.last.date())
        elif name == "board" and self.first.date() >= self.last.date():
            self.first.setDate(self.last.date().addDays(-6))

    def _follow(self, day: QDate) -> None:
        if self.report.currentData() == "sitrep":
            self.last.setDate(day)

    def chosen_days(self) -> tuple[date | None, date | None]:
        name = self.report.currentData()
        if name not in door.PERIOD_NAMES:
            return None, None
        first, last = (date(d.year(), d.month(), d.day()) for d in (self.first.date(), self.last.date()))
        return (first, first) if name == "sitrep" else (first, last)

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for reports", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def chosen_time(self) -> datetime | None:
        """None: now (the files then say they were generated now); ``NotAUkTime`` for a time the
        clocks skip."""
        if self.now.isChecked():
            return None
        return self.at.instant()

    def build(self) -> None:
        name, folder = self.report.currentData(), Path(self.folder.text().strip())
        first, last = self.chosen_days()
        if not self.folder.text().strip():
            self.status.setText("Folder: choose where to write the report.")
            return
        try:
            at = self.chosen_time()
        except NotAUkTime as exc:
            self.status.setText(str(exc))
            return
        store = self.store
        self.build_button.setEnabled(False)
        self.open_button.setEnabled(False)
        self.status.setText(f"Building the {name}…")
        tasks.QueryOp(parent=self, op=lambda: door.make(store, name, folder, at, first=first, last=last),
                      success=self._built).failure(self._failed).run_in_background()

    def _built(self, written: door.Written) -> None:
        self.written = written
        self.build_button.setEnabled(True)
        self.open_button.setEnabled(True)
        notes = "".join(f"\n{n}" for n in (*written.report.notes, *(f"Warning: {w}" for w in written.warnings)))
        self.status.setText(f"Wrote {written.pdf.name} ({count(written.pdf_pages, 'page')}), its JSON and "
                            f"{sum(1 for k in written.files if k.startswith('csv:'))} CSV file(s) into "
                            f"{written.folder}.{notes}")
        if written.warnings:   # a longer message: the dialog grows to show it whole
            self.resize(self.width(), max(self.height(), self.layout().totalHeightForWidth(self.width())))

    def _failed(self, exc: BaseException) -> None:
        self.build_button.setEnabled(True)
        if isinstance(exc, OSError):   # the folder, not the replica: say which and why
            self.status.setText(f"Folder: cannot write into {self.folder.text().strip()}: {exc.strerror or exc}")
        else:
            self.status.setText(f"Not written: {errors.explain(exc, write=False)}")

    def open_folder(self) -> None:
        if self.written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.written.folder)))


def open_reports(window) -> ReportsDialog:
    """From the main window's File menu: closed with the window."""
    dialog = ReportsDialog(window.store, window.clock, parent=window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
