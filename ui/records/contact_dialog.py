"""Add or edit a contact: every field checked (``models.service.contacts.problems``, the checks the
save makes); a problem is named by field and reason in the dialog, which stays open until it is put
right.  Saving is one use case of the door (``models.service.contacts.save_contact``) run off the
UI thread (``ui.tasks``); the dialog closes when it has landed, or says in words why it did not."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from models.records.contacts import ContactView
from models.service import contacts as door
from models.service.changes import Outcome
from ui import tasks
from ui.records.common import WritingDialog

COVER_WORDS = (("both", "In and out of hours"), ("in_hours", "In hours only"),
               ("out_of_hours", "Out of hours only"))
LABELS = {"name": "&Name", "organisation": "&Organisation", "org_code": "ODS &code", "role": "&Role",
          "service": "&Service", "phone": "&Phone", "email": "&Email"}


class ContactDialog(WritingDialog):
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
        self.add_footer(layout, problems_name="Problems with this contact")

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
        store, author, uid = self.store, self.author, self.contact.uuid if self.contact else None
        self.write(lambda: door.save_contact(store, author, uid, fields))

    def failed(self, exc: BaseException) -> None:
        self._problems(tasks.sentence(exc).split("; ") if isinstance(exc, ValueError) else [tasks.sentence(exc)])
