"""Getting the replica open: passphrase from the environment, the OS keyring or a prompt.

The OS keyring is optional.  When the user asks, the unwrapped database key
(not the passphrase) is stored there, so a passphrase change does not break
it; with no keyring backend (common on Linux servers) SCC Desktop says so and
carries on with the passphrase.  ``keyrings.alt`` backends keep secrets in
plain text and are never accepted.
"""

from __future__ import annotations

import getpass
import hmac
import logging
import os
import sys
from pathlib import Path

from models.replica import keyfile
from models.replica.store import PassphraseRefusedError, Store, StoreError, WrongKeyError
from scc_desktop.errors import UserError

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "SCC_PASSPHRASE"
KEYRING_SERVICE = "scc-desktop"
EXIT_WRONG_PASSPHRASE = 3
MIN_PASSPHRASE = 8


class KeyringUnavailable(Exception):
    pass


def _keyring():
    try:
        import keyring
        from keyring.errors import NoKeyringError  # noqa: F401
    except ImportError as exc:  # pragma: no cover - keyring is a dependency
        raise KeyringUnavailable("the keyring package is not installed") from exc
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):   # a file-based stand-in: never used for the key
        raise KeyringUnavailable(f"no secure OS keyring is available ({type(backend).__name__})")
    if "fail" in module or "null" in module:   # keyring found none: say what would give one
        where = (" (on Linux: a Secret Service keyring, GNOME Keyring or KWallet, running and unlocked in "
                 "your desktop session)" if sys.platform.startswith("linux") else "")
        raise KeyringUnavailable(f"no secure OS keyring is available{where}")
    return keyring


def _account(db_path: Path) -> str:
    return str(Path(db_path).resolve())


def remember_key(db_path: Path, key: bytes) -> None:
    try:
        _keyring().set_password(KEYRING_SERVICE, _account(db_path), key.hex())
    except KeyringUnavailable:
        raise
    except Exception as exc:  # keyring backends raise their own error types
        raise KeyringUnavailable(f"the OS keyring refused to store the key: {exc}") from exc


def forget_key(db_path: Path) -> bool:
    try:
        kr = _keyring()
        if kr.get_password(KEYRING_SERVICE, _account(db_path)) is None:
            return False
        kr.delete_password(KEYRING_SERVICE, _account(db_path))
        return True
    except KeyringUnavailable:
        return False


def key_from_keyring(db_path: Path) -> bytes | None:
    try:
        stored = _keyring().get_password(KEYRING_SERVICE, _account(db_path))
    except KeyringUnavailable as exc:
        log.debug("keyring not used: %s", exc)
        return None
    except Exception as exc:  # a locked or broken keyring must not stop the room
        log.warning("could not read the OS keyring: %s", exc)
        return None
    try:
        return bytes.fromhex(stored) if stored else None
    except ValueError:
        log.warning("ignoring an unreadable key in the OS keyring for %s", db_path)
        return None


def ask_passphrase(prompt: str = "Replica passphrase: ", *, confirm: bool = False) -> str:
    """The passphrase from ``SCC_PASSPHRASE``, else a terminal prompt, else an error."""
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    if not sys.stdin.isatty():
        raise UserError(f"no passphrase: set {PASSPHRASE_ENV} for non-interactive runs", 2)
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise UserError("the two passphrases differ; nothing was changed", 2)
    return first


def passphrase_problem(db_path: Path, passphrase: str, key: bytes) -> str | None:
    """None when ``passphrase`` unwraps the key of the replica at ``db_path`` and that key is
    ``key`` (the one it is open with); else why not. The idle lock's check (``ui.idle_lock``)."""
    if not passphrase:
        return "Passphrase: required"
    try:
        found, _header = keyfile.unlock(db_path, passphrase)
    except keyfile.WrongPassphraseError:
        return "That passphrase does not open this replica"
    except (keyfile.KeyHeaderError, OSError) as exc:
        return str(exc)
    return None if hmac.compare_digest(found, key) else "That passphrase does not open this replica"


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserError(f"the passphrase must have at least {MIN_PASSPHRASE} characters", 2)


def open_with_keyring(db_path: Path, *, key: bytes | None = None, on_upgrade=None) -> Store | None:
    """The replica opened with the key kept in the OS keyring (``key``: that key, read already); None if
    there is none there or it no longer opens this replica (then the passphrase is asked for)."""
    key = key_from_keyring(db_path) if key is None else key
    if key is None:
        return None
    try:
        return Store.open_with_key(db_path, key, on_upgrade=on_upgrade)
    except WrongKeyError:
        log.warning("the key in the OS keyring does not open %s; asking for the passphrase", db_path)
        return None
    except (StoreError, keyfile.KeyHeaderError) as exc:
        raise UserError(str(exc)) from None


def open_store(db_path: Path, passphrase: str | None = None, *, derived=None) -> Store:
    """Open the replica: keyring key first (if stored), then the passphrase.

    ``derived``: a ``keyfile.unlock_in_background`` future for the passphrase,
    started early so key derivation overlaps the start-up's imports.
    """
    db_path = Path(db_path)
    if db_path.is_dir():
        raise UserError(f"--path {db_path} is a folder; give the replica's file, e.g. {db_path / 'scc.db'}", 2)
    if not db_path.exists():
        raise UserError(f"there is no replica at {db_path}; create one with 'scc-desktop db init'")
    if passphrase is None:
        store = open_with_keyring(db_path)
        if store is not None:
            return store
    if passphrase is None and derived is None:
        passphrase = ask_passphrase()
    try:
        if derived is not None:
            try:
                key, _header = derived.result()
            except keyfile.WrongPassphraseError:
                raise PassphraseRefusedError("the passphrase is not correct for this replica") from None
            except (keyfile.KeyHeaderError, ValueError) as exc:
                raise StoreError(str(exc)) from None
            return Store.open_with_key(db_path, key)
        return Store.unlock(db_path, passphrase)
    except WrongKeyError as exc:
        raise UserError(f"{exc}; nothing was opened", EXIT_WRONG_PASSPHRASE) from None
    except StoreError as exc:
        raise UserError(str(exc)) from None
