"""Getting from a double-click to the window: first-run set-up, or unlocking the replica.

Order on a later start: the key in the OS keyring (if the user asked for
that), then ``SCC_PASSPHRASE`` (scripted runs), then the unlock dialog.  The
dialogs are run by ``run_dialog`` (``QDialog.exec`` by default) so tests can
drive the real dialogs without a blocking event loop.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from models.replica import keyfile
from models.replica.store import PassphraseRefusedError, Store, StoreError
from scc_desktop import hub_access, opening, paths, unlock
from scc_desktop.errors import UserError

log = logging.getLogger(__name__)

DEMO = "demo"


def _exec(dialog) -> int:
    return dialog.exec()


def keyring_note() -> str | None:
    """None when a secure OS keyring is available, else why the option is greyed out."""
    try:
        unlock._keyring()
    except unlock.KeyringUnavailable as exc:
        return f"Not available here: {exc}. You will type the passphrase at each start."
    return None


def _remember(path: Path, key: bytes, settings) -> None:
    try:
        unlock.remember_key(path, key)
    except unlock.KeyringUnavailable as exc:
        settings.problems.append(f"the unlock key was not stored: {exc}")
        log.warning(settings.problems[-1])


def _check_hub(url: str, token: str, ca: str | None) -> str | None:
    from sync.connection_check import connection_problem

    return connection_problem(url, token, ca)


def first_run(path: Path, settings, *, run_dialog: Callable = _exec, check_hub: Callable | None = _check_hub):
    """Set up this computer: an open new ``Store`` (hub chosen), ``DEMO``, or None (the user quit).

    The hub connection is tested in the dialog (``check_hub``; None: not tested), and the replica
    is made while the dialog is still open, so a folder that cannot take it is said there."""
    from PySide6.QtWidgets import QDialog

    from ui.first_run import FirstRunDialog

    made: list[Store] = []

    def create(choice) -> str | None:
        try:
            store = Store.create(path, choice.passphrase)
        except (StoreError, keyfile.KeyHeaderError) as exc:   # e.g. a key header left without its replica
            return str(exc)
        except OSError as exc:   # a folder that is not writable, or not a folder
            from scc_desktop.commands.db import cannot_create

            said = cannot_create(path, exc, hint="make it writable, or start with 'scc-desktop app --path FILE' "
                                                 "for a replica elsewhere")
            return said[0].upper() + said[1:]
        try:
            hub_access.save_token(store, choice.token)
            settings.update(hub_url=choice.hub_url, ca_bundle=choice.ca_bundle or None,
                            replica=None if path == paths.default_replica() else str(path))
        except Exception:
            store.close()
            raise
        made.append(store)
        return None

    dialog = FirstRunDialog(keyring_note=keyring_note(), check_hub=check_hub, create=create)
    if run_dialog(dialog) != QDialog.DialogCode.Accepted or dialog.choice is None:
        for store in made:
            store.close()
        return None
    choice = dialog.choice
    if choice.mode == DEMO:
        return DEMO
    store = made[-1]
    if choice.remember:
        _remember(path, store.key, settings)
    return store


def unexpected(path: Path, exc: BaseException) -> str:
    """What the unlock dialog says of an error nobody foresaw while opening (or upgrading) the replica:
    the traceback goes to a crash report (no patient data in it), never into the dialog."""
    from scc_desktop import crash_report

    log.error("the replica %s could not be opened", path, exc_info=exc)
    try:
        report = crash_report.write(crash_report.describe(type(exc), exc, exc.__traceback__))
        where = f"a report without patient data is in {report}"
    except OSError as err:
        where = f"no report could be written ({err.strerror or err})"
    return (f"This version of SCC Desktop could not open the replica {path} ({type(exc).__name__}); {where}: "
            "send it to whoever supports SCC Desktop here, and keep the replica and its .key file as they are "
            "(an upgrade that fails leaves the replica as it was)")


def unlock_window(path: Path, settings, *, run_dialog: Callable = _exec, derived=None) -> Store | None:
    """Open the replica for the window: keyring, environment, then the unlock dialog."""
    from PySide6.QtWidgets import QDialog

    from ui.first_run import UnlockDialog

    problem, store = None, None
    key = unlock.key_from_keyring(path)   # here: a keyring may ask the user to unlock it
    try:
        if key is not None:
            store = opening.open_turning(lambda **kw: unlock.open_with_keyring(path, key=key, **kw))
    except UserError as exc:   # the key opened nothing: a full disk, a newer version's replica, a damaged file
        # Said in the unlock dialog: the windowed app has no terminal, so a line on stderr reached no one
        # and the app just did not start.
        log.warning("the replica was not opened with the key in the OS keyring: %s", exc)
        problem = str(exc)
    except Exception as exc:   # noqa: BLE001 - e.g. an upgrade step failing on this replica's data
        problem = unexpected(path, exc)
    if store is not None:
        return store
    try:
        if derived is not None:   # SCC_PASSPHRASE, already being derived since the start
            return opening.open_turning(lambda **kw: unlock.open_store(path, derived=derived))
        if os.environ.get(unlock.PASSPHRASE_ENV):
            return opening.open_turning(lambda **kw: unlock.open_store(path, os.environ[unlock.PASSPHRASE_ENV]))
    except UserError as exc:   # in the dialog too (a wall screen started with SCC_PASSPHRASE has no terminal)
        log.warning("the replica was not opened with SCC_PASSPHRASE: %s", exc)
        problem = str(exc)
    opened: list[Store] = []

    def attempt(passphrase: str, remember: bool) -> str | None:
        if not passphrase:
            return "Passphrase: required"
        try:
            dialog.setEnabled(False)   # no second Unlock while this one opens (and maybe upgrades) the replica
            try:
                store = opening.open_turning(lambda **kw: Store.unlock(path, passphrase, **kw), parent=dialog)
            finally:
                dialog.setEnabled(True)
        except PassphraseRefusedError:
            return "That passphrase does not open this replica"
        except (StoreError, keyfile.KeyHeaderError) as exc:
            return str(exc)
        except Exception as exc:   # noqa: BLE001 - raised out of the dialog's button it said nothing at all
            return unexpected(path, exc)
        if not dialog.isVisible():   # closed (Quit, Esc, its window) while the replica opened: do not go on
            store.close()
            return None
        opened.append(store)
        if remember:
            _remember(path, store.key, settings)
        return None

    dialog = UnlockDialog(str(path), attempt, keyring_note=keyring_note())
    if problem is not None:
        dialog.errors.setText(problem[0].upper() + problem[1:])
        dialog.errors.show()
    if run_dialog(dialog) != QDialog.DialogCode.Accepted or not opened:
        return None
    return opened[-1]
