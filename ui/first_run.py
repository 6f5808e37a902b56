"""The two dialogs before the window: first run (passphrase, hub or demo) and unlock.

Both check what they can before closing and say what is wrong next to the
form, naming the field.  The first-run dialog tests the hub connection off the
UI thread (``check_hub``) and says which address failed and why; the same
choice confirmed again is kept (set up now, sync once the hub answers and takes the token).  The
work they lead to (creating or unlocking the replica) is done by callbacks, so
a failure (an unwritable folder) is shown in the dialog, and the dialogs stay
testable with a real store and no mocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QRadioButton, QVBoxLayout, QWidget)

from sync.address import hub_url_problem
from ui.hub_fields import ca_file_field

MIN_PASSPHRASE = 8


@dataclass(frozen=True)
class FirstRunChoice:
    mode: str                 # "hub" or "demo"
    hub_url: str = ""
    token: str = ""
    ca_bundle: str = ""
    passphrase: str = ""
    remember: bool = False


def first_run_problems(choice: FirstRunChoice) -> list[str]:
    """What stops this choice being used, each naming the field (empty: fine)."""
    if choice.mode == "demo":
        return []
    problems = []
    if not choice.hub_url.strip():
        problems.append("Hub address: required (or choose the demo)")
    else:
        problem = hub_url_problem(choice.hub_url)
        if problem:
            problems.append(f"Hub address: {problem}")
    if choice.ca_bundle and not Path(choice.ca_bundle).is_file():
        problems.append(f"CA certificates: no file at {choice.ca_bundle}")
    if not choice.token.strip():
        problems.append("Access token: required; your hub administrator issues it")
    if len(choice.passphrase) < MIN_PASSPHRASE:
        problems.append(f"Passphrase: at least {MIN_PASSPHRASE} characters")
    return problems


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("formErrors")
    label.setWordWrap(True)
    label.setStyleSheet("color:#b71c1c;font-weight:bold;")
    label.setAccessibleName("Problems")
    label.hide()
    return label


def grow_to_fit(dialog: QDialog) -> None:
    """Make ``dialog`` tall enough for its word-wrapped text at its width (it never shrinks).  A
    window does not grow by itself when a wrapped label's text gets longer: a problem shown after
    the dialog opened was cut off, or squeezed the labels above it (a walkthrough, session 22)."""
    dialog.layout().activate()
    needed = dialog.heightForWidth(dialog.width())
    if needed > dialog.height():
        dialog.resize(dialog.width(), needed)


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class FirstRunDialog(QDialog):
    """First start on this computer: connect to a hub (new encrypted replica) or try the demo."""

    def __init__(self, *, keyring_note: str | None, parent: QWidget | None = None,
                 check_hub: Callable[[str, str, str | None], str | None] | None = None,
                 create: Callable[[FirstRunChoice], str | None] | None = None) -> None:
        """``check_hub(url, token, ca)``: None or why the hub cannot be used (run off the UI thread);
        ``create(choice)``: None or why the replica could not be made (shown here, the dialog stays)."""
        super().__init__(parent)
        self._check_hub, self._create = check_hub, create
        self._keep_unreachable: FirstRunChoice | None = None   # confirmed once: keep it despite the test
        self.setWindowTitle("Welcome to SCC Desktop")
        self.setMinimumWidth(560)
        intro = QLabel("<b>Set up SCC Desktop on this computer.</b><br>Your room's data is kept in an "
                       "encrypted file here, so the picture stays available when the network or the "
                       "feed drops. Choose where it comes from.")
        intro.setWordWrap(True)
        self.hub_radio = QRadioButton("Connect to our &feed hub")
        self.demo_radio = QRadioButton("Try the &demo: a simulated system on this computer, nothing to set up")
        self.hub_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.hub_radio)
        group.addButton(self.demo_radio)
        self.hub_url = QLineEdit()
        self.hub_url.setPlaceholderText("https://scc-hub.example.nhs.uk")
        self.hub_url.setAccessibleName("Hub address")
        self.token = _password_field("Access token")
        self.ca_bundle, ca_row = ca_file_field(self)
        self.passphrase = _password_field("Passphrase")
        self.repeat = _password_field("Repeat passphrase")
        self.remember = QCheckBox("&Remember the unlock key on this computer (OS keyring)")
        self.remember.setAccessibleName("Remember the unlock key in the OS keyring")
        if keyring_note:
            self.remember.setEnabled(False)
            self.remember.setToolTip(keyring_note)
        note = QLabel(keyring_note or "Without it you type the passphrase at each start. There is no "
                      "way to recover the data without the passphrase; the hub holds the shared feed.")
        note.setWordWrap(True)
        note.setObjectName("muted")
        self.hub_form = QWidget()
        form = QFormLayout(self.hub_form)
        form.addRow("Hub &address:", self.hub_url)
        form.addRow("Access &token:", self.token)
        form.addRow("CA certificates:", ca_row)
        form.addRow("&Passphrase:", self.passphrase)
        form.addRow("R&epeat:", self.repeat)
        form.addRow("", self.remember)
        form.addRow("", note)
        self.errors = _error_label()
        buttons = QDialogButtonBox()
        self.ok = buttons.addButton("&Create replica", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        self.demo_radio.toggled.connect(self._mode_changed)
        layout = QVBoxLayout(self)
        for w in (intro, self.hub_radio, self.demo_radio, self.hub_form, self.errors, buttons):
            layout.addWidget(w)
        self.choice: FirstRunChoice | None = None

    def _mode_changed(self, demo: bool) -> None:
        self.hub_form.setEnabled(not demo)
        self.ok.setText("Start the &demo" if demo else "&Create replica")

    def current(self) -> FirstRunChoice:
        if self.demo_radio.isChecked():
            return FirstRunChoice("demo")
        return FirstRunChoice("hub", self.hub_url.text().strip(), self.token.text().strip(),
                              self.ca_bundle.text().strip(), self.passphrase.text(),
                              self.remember.isEnabled() and self.remember.isChecked())

    def try_accept(self) -> None:
        choice = self.current()
        problems = first_run_problems(choice)
        if choice.mode == "hub" and self.passphrase.text() != self.repeat.text():
            problems.append("Repeat: the two passphrases differ")
        if problems:
            self._show("\n".join(problems))
            return
        if choice.mode == "hub" and self._check_hub is not None and choice != self._keep_unreachable:
            self._test_then_finish(choice)
            return
        self._finish(choice)

    def _show(self, text: str) -> None:
        self.errors.setText(text)
        self.errors.show()
        grow_to_fit(self)

    def _test_then_finish(self, choice: FirstRunChoice) -> None:
        from ui.settings_dialog import check_in_background

        self.ok.setEnabled(False)
        self._show(f"Testing the connection to {choice.hub_url}…")

        def done(problem: str | None) -> None:
            self.ok.setEnabled(True)
            if problem is None:
                self._finish(choice)
                return
            self._keep_unreachable = choice
            self._show(f"Hub: {problem}. Check the address and the token, or press "
                       f"{self.ok.text().replace('&', '')} again to keep them anyway: the desktop syncs once "
                       "the hub answers and takes the token.")
        check_in_background(self, self._check_hub, choice.hub_url, choice.token, choice.ca_bundle or None,
                            lambda: None, done)

    def _finish(self, choice: FirstRunChoice) -> None:
        if choice.mode == "hub" and self._create is not None:
            problem = self._create(choice)
            if problem:
                self._show(problem)
                return
        self.choice = choice
        self.accept()


class UnlockDialog(QDialog):
    """Ask for the passphrase; ``unlock(passphrase, remember)`` returns None or the reason it failed."""

    def __init__(self, replica: str, unlock: Callable[[str, bool], str | None], *,
                 keyring_note: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock SCC Desktop")
        self.setMinimumWidth(480)
        self._unlock = unlock
        self.attempts = 0
        label = QLabel(f"Passphrase for the replica<br><small>{replica}</small>")
        label.setTextFormat(Qt.TextFormat.RichText)
        self.passphrase = _password_field("Passphrase")
        self.remember = QCheckBox("&Remember on this computer (OS keyring)")
        if keyring_note:
            self.remember.setEnabled(False)
            self.remember.setToolTip(keyring_note)
        self.errors = _error_label()
        buttons = QDialogButtonBox()
        buttons.addButton("&Unlock", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (label, self.passphrase, self.remember, self.errors, buttons):
            layout.addWidget(w)

    def try_accept(self) -> None:
        self.attempts += 1
        problem = self._unlock(self.passphrase.text(), self.remember.isEnabled() and self.remember.isChecked())
        if problem:
            self.errors.setText(f"{problem} (attempt {self.attempts})")
            self.errors.show()
            grow_to_fit(self)
            self.passphrase.selectAll()
            self.passphrase.setFocus()
            return
        self.accept()
