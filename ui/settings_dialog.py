"""File > Settings: where this desktop syncs from (hub address, access token, CA file), theme and text size.

The address and CA file are saved in the settings file, the token inside the
encrypted replica through the door (``models.service.hub_access``), never shown
again once saved.  "Test connection" asks the hub for its feed with the token,
off the UI thread, and names the address and the reason when it fails.  A new
hub is used from the next start (the sync running now keeps its connection).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from models.service import hub_access
from sync.address import hub_url_problem
from sync.connection_check import connection_problem
from ui import stale_limits
from ui.choices import TEXT_SCALES, THEME_KEYS
from ui.hub_fields import ca_file_field


def check_in_background(parent, check, url: str, token: str | None, ca: str | None, saved_token, done) -> None:
    """Run ``check(url, token, ca)`` off the UI thread (the saved token read there when none is typed);
    ``done(problem or None)`` on the UI thread."""
    from ui import tasks

    def op():
        return check(url, token or saved_token() or "", ca)

    tasks.QueryOp(parent=parent, op=op, success=done).failure(
        lambda exc: done(f"the connection test failed: {exc}")).run_in_background()


def lost_basis_choice(current: int | None) -> QComboBox:
    """The bases for handover hours lost, from the handover table, each with who reports on it."""
    from models.rules.handover_bands import load_handover

    table = load_handover()
    box = QComboBox()
    box.setAccessibleName("Handover hours lost: minutes beyond")
    for b in table.hours_lost_bases:
        box.addItem(f"beyond {b.beyond_minutes:g} min: {b.used_by}", int(b.beyond_minutes))
    box.setCurrentIndex(max(box.findData(int(current or table.hours_lost_beyond_minutes)), 0))
    return box


def lock_after_choice(minutes: int) -> QSpinBox:
    """Minutes without use before the window locks (0: never)."""
    box = QSpinBox()
    box.setRange(0, 24 * 60)
    box.setSuffix(" min without use")
    box.setSpecialValueText("never")
    box.setAccessibleName("Lock the window after minutes without use (0: never)")
    box.setValue(int(minutes or 0))
    return box


STALE_FIELDS = (("stale_opel_site_offload_minutes", "OPEL, site figures, offload"),
                ("stale_critcon_responses_minutes", "CRITCON, response times"),
                ("stale_sync_minutes", "Last sync; REAP, CSP"))


def stale_choices(settings) -> tuple[dict[str, QSpinBox], QWidget]:
    """The three stale limits, in minutes within their bounds (``ui.stale_limits``), one a line."""
    boxes, block = {}, QWidget()
    grid = QGridLayout(block)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setVerticalSpacing(4)
    for row, (name, words) in enumerate(STALE_FIELDS):
        default, least, most, _why = stale_limits.BOUNDS[name]
        box = QSpinBox()
        box.setRange(least, most)
        box.setSuffix(" min")
        box.setAccessibleName(f"Mark stale after minutes: {words} ({least} to {most}, default {default})")
        box.setToolTip(f"{words}: marked stale after this many minutes without new data "
                       f"({least} to {most}; default {default}).")
        box.setValue(int(getattr(settings, name, None) or default))
        boxes[name] = box
        grid.addWidget(box, row, 0)
        box.setMinimumSize(box.sizeHint())   # three a row: never squashed below a readable box
        grid.addWidget(QLabel(f"{words} (default {default})"), row, 1)
    grid.setColumnStretch(1, 1)
    return boxes, block


class SettingsDialog(QDialog):
    def __init__(self, store, settings, *, check=connection_problem, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self._store, self._settings, self._check = store, settings, check
        self.user_name, self.name_hint = self._name_field(settings)
        self.icb_name = QLineEdit(getattr(settings, "icb_name", None) or "")
        self.icb_name.setAccessibleName("Integrated care board, named on the decision records export")
        self.icb_name.setPlaceholderText("e.g. NHS Derby and Derbyshire ICB (named on the records export)")
        self.hub_url = QLineEdit(settings.hub_url or "")
        self.hub_url.setPlaceholderText("https://scc-hub.example.nhs.uk (empty: work on this replica only)")
        self.hub_url.setAccessibleName("Hub address")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Access token")
        self._token_saved = bool(store is not None and hub_access.saved_token(store))
        self.token.setPlaceholderText("kept in the encrypted replica; type a new one to replace it"
                                      if self._token_saved else "from your hub administrator")
        self.ca_bundle, ca_row = ca_file_field(self, settings.ca_bundle or "")
        self.theme = QComboBox()
        self.theme.setAccessibleName("Theme")
        for key in THEME_KEYS:
            self.theme.addItem(key.replace("_", " ").capitalize(), key)
        self.theme.setCurrentIndex(max(self.theme.findData(settings.theme), 0))
        self.text_scale = QComboBox()
        self.text_scale.setAccessibleName("Text size")
        for scale in TEXT_SCALES:
            self.text_scale.addItem(f"{scale:.0%}", scale)
        self.text_scale.setCurrentIndex(max(self.text_scale.findData(settings.text_scale), 0))
        self.lost_basis = lost_basis_choice(settings.handover_hours_lost_beyond)
        self.lock_after = lock_after_choice(getattr(settings, "lock_after_minutes", 15))
        self.bc_pack_dir, bc_pack_row, bc_pack_hint = self._bc_pack_field(settings)
        self.stale_after, stale_row = stale_choices(settings)
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self.test_connection)
        form = QFormLayout()
        form.addRow("Your &name:", self.user_name)
        form.addRow("", self.name_hint)
        form.addRow("&ICB:", self.icb_name)
        form.addRow("Hub &address:", self.hub_url)
        form.addRow("Access &token:", self.token)
        form.addRow("CA certificates:", ca_row)
        form.addRow("", self.test_button)
        form.addRow("T&heme:", self.theme)
        form.addRow("Te&xt size:", self.text_scale)
        form.addRow("Handover &hours lost:", self.lost_basis)
        form.addRow("&Lock when idle:", self.lock_after)
        form.addRow("Stale a&fter:", stale_row)
        form.labelForField(stale_row).setBuddy(self.stale_after["stale_opel_site_offload_minutes"])
        form.addRow("Business continuity &pack:", bc_pack_row)
        form.addRow("", bc_pack_hint)
        note = QLabel("A changed hub or name is used from the next start.")
        note.setObjectName("muted")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Connection test and problems")
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in (note, self.status, buttons):
            layout.addWidget(w)

    def _name_field(self, settings) -> tuple[QLineEdit, QLabel]:
        """The person's name that signs what this desktop records (``models.author``); the environment's wins."""
        import os

        from models import author
        field = QLineEdit(getattr(settings, "user_name", None) or "")
        field.setAccessibleName("Your name, recorded with what you do")
        field.setMaxLength(author.MAX_CHARS)
        login = author.login_name()
        field.setPlaceholderText(f"as you sign a record (empty: the login name, {login})" if login
                                 else "as you sign a record")
        env = (os.environ.get(author.ENV) or "").strip()
        hint = QLabel(f"${author.ENV} is set: records are signed “{env}” instead." if env else
                      "Recorded with each decision, acknowledgement and edit. "
                      f"Now signing as “{author.current_author()}”.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        hint.setAccessibleName("Who signs what this desktop records")
        return field, hint

    def _bc_pack_field(self, settings) -> tuple[QLineEdit, QWidget, QLabel]:
        """The folder the pack is written to every hour (empty: not written); the environment's wins."""
        import os

        from ui.bc_pack_writer import ENV
        field = QLineEdit(getattr(settings, "bc_pack_dir", None) or "")
        field.setAccessibleName("Business continuity pack folder")
        field.setPlaceholderText("folder for the hourly printable pack (empty: none)")
        choose = QPushButton("Choose…")
        choose.clicked.connect(lambda: field.setText(
            QFileDialog.getExistingDirectory(self, "Folder for the business continuity pack", field.text())
            or field.text()))
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(field, 1)
        line.addWidget(choose)
        env = (os.environ.get(ENV) or "").strip()
        hint = QLabel(f"${ENV} is set: the pack goes to {env} instead." if env
                      else "The printable pack, written every hour while the app runs; it needs no hub.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        return field, row, hint

    def _say(self, text: str, problem: bool) -> None:
        self.status.setStyleSheet("color:#b71c1c;font-weight:bold;" if problem else "")
        self.status.setText(text)

    def _saved_token(self) -> str | None:
        return hub_access.saved_token(self._store) if self._store is not None else None

    def test_connection(self) -> None:
        url = self.hub_url.text().strip()
        self.test_button.setEnabled(False)
        self._say(f"Testing the connection to {url or '(no address)'}…", False)

        def done(problem: str | None) -> None:
            self.test_button.setEnabled(True)
            if problem:
                self._say(problem[0].upper() + problem[1:], True)
            else:
                self._say(f"Connected to {url}: the hub answered and accepted the token.", False)
        check_in_background(self, self._check, url, self.token.text().strip(), self.ca_bundle.text().strip() or None,
                            self._saved_token, done)

    def problems(self) -> list[str]:
        problems = []
        url = self.hub_url.text().strip()
        if url and hub_url_problem(url):
            problems.append(f"Hub address: {hub_url_problem(url)}")
        ca = self.ca_bundle.text().strip()
        if ca and not Path(ca).is_file():
            problems.append(f"CA certificates: no file at {ca}")
        folder = self.bc_pack_dir.text().strip()
        if folder and not Path(folder).expanduser().is_absolute():
            problems.append(f"Business continuity pack: {folder} is not a full path (from the drive or /)")
        if url and not self.token.text().strip() and not self._token_saved:
            problems.append("Access token: required to sync; your hub administrator issues it")
        return problems

    def save(self) -> None:
        problems = self.problems()
        if problems:
            self._say("\n".join(problems), True)
            return
        try:
            self._settings.update(user_name=self.user_name.text().strip() or None,
                                  icb_name=self.icb_name.text().strip() or None,
                                  hub_url=self.hub_url.text().strip().rstrip("/") or None,
                                  ca_bundle=self.ca_bundle.text().strip() or None,
                                  theme=self.theme.currentData(), text_scale=self.text_scale.currentData(),
                                  handover_hours_lost_beyond=self.lost_basis.currentData(),
                                  lock_after_minutes=self.lock_after.value(),
                                  bc_pack_dir=self.bc_pack_dir.text().strip() or None,
                                  **{name: box.value() for name, box in self.stale_after.items()})
        except (OSError, ValueError) as exc:
            self._say(f"Settings not saved: {exc}", True)
            return
        token = self.token.text().strip()
        if not token:
            self.accept()
            return
        from ui import tasks

        self.save_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self._say(f"The access token was not saved: {tasks.sentence(exc)}", True)
        tasks.CollectionOp(self, lambda: hub_access.save_token(self._store, token)).success(
            lambda _outcome: self.accept()).failure(failed).run_in_background()


def open_settings(window) -> None:
    """File > Settings on the main window: theme and text size apply at once."""
    dialog = SettingsDialog(window.store, window.settings, parent=window)
    if dialog.exec() == QDialog.DialogCode.Accepted and window.settings is not None:
        window.text_scale = window.settings.text_scale
        window.set_theme(window.settings.theme)
        window.follow_bc_pack()
        window.follow_stale_limits()
        from ui.idle_lock import IdleLock
        lock = window.findChild(IdleLock)
        if lock is not None:
            lock.set_minutes(window.settings.lock_after_minutes)
