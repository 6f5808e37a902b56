"""What a contact import did: counts, then every rejected row with its field and reason."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from models.service.contacts import ContactImport
from ui.widgets import cell, fill_table, make_table

HEADERS = ("Row", "Field", "Reason")


def summary_text(imported: ContactImport) -> str:
    parsed, result = imported.parsed, imported.result
    unit = parsed.unit
    parts = [f"{len(result.created)} added", f"{len(result.updated)} updated", f"{result.unchanged} unchanged"]
    text = f"{parsed.name}: " + ", ".join(parts) + "."
    if result.rejected_rows:
        text += (f" {result.rejected_rows} {unit}(s) rejected and kept aside (quarantined) with the reasons "
                 "below: correct them in the file and import it again.")
    else:
        text += f" No {unit}s rejected."
    if parsed.blank_rows:
        text += f" Blank rows skipped: {', '.join(str(r) for r in parsed.blank_rows)}."
    return text


class ImportReportDialog(QDialog):
    def __init__(self, imported: ContactImport, parent=None) -> None:
        super().__init__(parent)
        parsed, result = imported.parsed, imported.result
        self.setWindowTitle(f"Contact import: {parsed.name}")
        self.setMinimumSize(640, 360)
        layout = QVBoxLayout(self)
        self.summary = QLabel(summary_text(imported))
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Import summary")
        layout.addWidget(self.summary)
        for warning in parsed.warnings:
            note = QLabel(f"Note: {warning}")
            note.setWordWrap(True)
            layout.addWidget(note)
        headers = (parsed.unit.capitalize(),) + HEADERS[1:]
        self.table = make_table(headers, "Rejected rows: row, field and reason", stretch=2)
        fill_table(self.table, [[cell(str(r.row) + (f" (line {r.line})" if r.unit == "card" else ""),
                                      align_right=True), cell(r.field), cell(r.reason)]
                                for r in result.rejections])
        self.table.setVisible(bool(result.rejections))
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.accept)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def rejection_sentences(self) -> list[str]:
        return [" | ".join(self.table.item(r, c).text() for c in range(3)) for r in range(self.table.rowCount())]
