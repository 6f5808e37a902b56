"""Add or edit a contact: every field checked by ``sync.authoring.upsert_contact``; a problem is
named by field and reason in the dialog, which stays open until it is put right."""

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
from sync import authoring

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
        self.saved_uuid: str | None = None
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
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def fields(self) -> dict[str, str]:
        out = {key: edit.text() for key, edit in self.edits.items()}
        out["cover"] = self.cover.currentData()
        out["notes"] = self.notes.toPlainText()
        return out

    def save(self) -> str | None:
        """Write the contact (and its outbox edit); on a problem, say which field and why."""
        try:
            self.saved_uuid = authoring.upsert_contact(
                self.store, author=self.author, contact_uuid=self.contact.uuid if self.contact else None,
                **self.fields())
        except ValueError as exc:
            self.error.setText("Not saved. " + "; ".join(
                f"{p.split(':', 1)[0].replace('_', ' ')}:{p.split(':', 1)[1]}" if ":" in p else p
                for p in str(exc).split("; ")))
            self.error.show()
            return None
        self.accept()
        return self.saved_uuid
