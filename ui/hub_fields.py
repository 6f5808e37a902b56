"""The CA-file field the first-run and Settings dialogs share: a line for the path and a Browse button."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget


def ca_file_field(parent: QWidget, path: str = "") -> tuple[QLineEdit, QHBoxLayout]:
    """The line (``path`` in it) and the row holding it with its Browse button."""
    line = QLineEdit(path)
    line.setPlaceholderText("optional: only for a hub with a private certificate")
    line.setAccessibleName("CA certificates file")
    browse = QPushButton("Browse…")
    browse.setAccessibleName("Choose CA certificates file")

    def choose() -> None:
        name, _ = QFileDialog.getOpenFileName(parent, "CA certificates", "", "PEM files (*.pem *.crt);;All (*)")
        if name:
            line.setText(name)
    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(line, 1)
    row.addWidget(browse)
    return line, row
