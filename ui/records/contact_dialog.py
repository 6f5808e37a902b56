"""Add or edit a contact: every field checked (``models.service.contacts.problems``, the checks the
save makes); a problem is named by field and reason in the dialog, which stays open until it is put
right.  Saving is one use case of the door (``models.service.contacts.save_contact``) run off the
UI thread (``ui.tasks``); the dialog closes when it has landed, or says in words why it did not."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from models.records.contacts import ContactView
from models.service import contacts as door
from models.service.changes import Outcome
from ui import tasks
from ui.widgets import muted

COVER_WORDS = (("both", "In and out of hours"), ("in_hours", "In hours only"),
               ("out_of_hours", "Out of hours only"))
LABELS = {"name": "&Name", "organisation": "&Organisation", "org_code": "ODS &code", "role": "&Role",
          "service": "&Service", "phone": "&Phone", "email": "&Email"}


class ContactDialog(QDialog):
    def __init__(self, store, author: str, contact: ContactView | None = None, parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.author = author
        self.contact = contact
        self.saved: Outcome | None = None   # once saved: ``uuid`` is the contact's
        self.setWindowTitle(f"Edit contact: {contact.name}" if contact else "New contact")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.edits: dict[str, QLineEdit] = {}
        for key, label in LABELS.items():
            edit = QLineEdit(getattr(contact, key) or "" if contact else "")
            edit.setAccessibleName(label.replace("&", ""))
            self.edits[key] = edit
            form.addRow(label, edit)
        self.edits["phone"].setPlaceholderText("UK number, e.g. 020 7946 0000 or +44 20 7946 0000")
        self.cover = QComboBox()
        self.cover.setAccessibleName("Cover")
        for key, words in COVER_WORDS:
            self.cover.addItem(words, key)
        self.cover.setCurrentIndex(max(0, self.cover.findData(contact.cover if contact else "both")))
        form.addRow("Co&ver", self.cover)
        self.notes = QPlainTextEdit(contact.notes if contact else "")
        self.notes.setAccessibleName("Notes")
        self.notes.setFixedHeight(70)
        form.addRow("No&tes", self.notes)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("staleLabel")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # it quotes the contact's fields
        self.error.setWordWrap(True)
        self.error.setAccessibleName("Problems with this contact")
        self.error.hide()
        layout.addWidget(self.error)
        self.saving = muted("Saving… (waiting for the replica: the sync may be writing to it)")
        self.saving.hide()
        layout.addWidget(self.saving)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def fields(self) -> dict[str, str]:
        out = {key: edit.text() for key, edit in self.edits.items()}
        out["cover"] = self.cover.currentData()
        out["notes"] = self.notes.toPlainText()
        return out

    def _problems(self, problems: list[str]) -> None:
        self.error.setText("Not saved. " + "; ".join(
            f"{p.split(':', 1)[0].replace('_', ' ')}:{p.split(':', 1)[1]}" if ":" in p else p for p in problems))
        self.error.show()

    def save(self) -> None:
        """Check, then write the contact (and its outbox edit) off the UI thread; the dialog closes
        (``accepted``, ``saved`` set) once it has landed.  A problem is named by field."""
        fields = self.fields()
        found = door.problems(fields, new=self.contact is None)
        if found:
            self._problems(found)
            return
        self.error.hide()
        self._set_saving(True)
        store, author, uid = self.store, self.author, self.contact.uuid if self.contact else None
        tasks.CollectionOp(self, lambda: door.save_contact(store, author, uid, fields)).success(
            self._saved).failure(self._not_saved).run_in_background()

    def _set_saving(self, saving: bool) -> None:
        # Cancel too: the contact lands whatever the dialog does, so closing it would mislead.
        self.buttons.setEnabled(not saving)
        self.saving.setVisible(saving)

    def _saved(self, outcome: Outcome) -> None:
        self._set_saving(False)
        self.saved = outcome
        self.accept()

    def _not_saved(self, exc: BaseException) -> None:
        self._set_saving(False)
        self._problems(tasks.sentence(exc).split("; ") if isinstance(exc, ValueError) else [tasks.sentence(exc)])

    def reject(self) -> None:  # Escape or the close button while saving: the contact is landing
        if self.saving.isVisible():
            return
        super().reject()
