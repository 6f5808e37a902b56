"""``scc-desktop db``: create, inspect and re-key the encrypted replica.

Heavy modules (SQLAlchemy, Alembic, the store) are imported inside the
handlers, so other commands start fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from scc_desktop import paths
from scc_desktop.commands.replica_option import add_action, add_path_option
from scc_desktop.errors import UserError

NEW_PASSPHRASE_ENV = "SCC_NEW_PASSPHRASE"


def register(subparsers) -> None:
    parser = subparsers.add_parser("db", help="create, inspect and re-key the encrypted replica")
    add_path_option(parser, action=False)
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    init = sub.add_parser("init", help="create a new encrypted replica")
    init.add_argument("--remember", action="store_true",
                      help="also keep the unlock key in the OS keyring")
    add_path_option(init, action=True)
    init.set_defaults(handler=_init)

    add_action(sub, "info", "show cipher, key derivation, schema and row counts", _info)
    add_action(sub, "passwd", "change the passphrase (re-wraps the key; data untouched)", _passwd)
    add_action(sub, "remember", "keep the unlock key in the OS keyring", _remember)
    add_action(sub, "forget", "remove the unlock key from the OS keyring", _forget)
    add_action(sub, "check", "run SQLite's integrity check on the replica", _check)

    from scc_desktop.commands import db_backup

    db_backup.register(sub)


def _path(args) -> Path:
    path = args.path or paths.default_replica()
    if path.is_dir():
        raise UserError(f"--path {path} is a folder; give the replica's file, e.g. {path / 'scc.db'}", 2)
    return path


def cannot_create(path: Path, exc: OSError, *, hint: str = "choose another --path") -> str:
    """Why a replica cannot be made at ``path``, in words (the folder, not errno)."""
    folder = path.parent
    if not folder.exists():
        reason = f"the folder {folder} does not exist and cannot be made ({exc.strerror or exc})"
    elif not folder.is_dir():
        reason = f"{folder} is not a folder"
    elif isinstance(exc, PermissionError) or not os.access(folder, os.W_OK):
        reason = f"the folder {folder} is not writable"
    else:
        reason = f"the folder {folder} does not take new files ({exc.strerror or exc})"
    return f"cannot create the replica {path}: {reason}; {hint}"


def _init(args) -> int:
    from models.replica import keyfile
    from models.replica.store import Store, StoreError
    from scc_desktop import unlock

    path = _path(args)
    passphrase = unlock.ask_passphrase("New replica passphrase: ", confirm=True)
    unlock.check_new_passphrase(passphrase)
    try:
        store = Store.create(path, passphrase)
    except (StoreError, keyfile.KeyHeaderError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # folder missing, not a folder, not writable, a read-only file system
        raise UserError(cannot_create(path, exc)) from None
    with store:
        print(f"Created encrypted replica {path} (cipher {store.cipher}, schema {store.schema_revision()}).")
        print(f"Keep {keyfile.header_path(path)} with it: without that file the replica cannot be opened.")
    if args.remember:
        _store_in_keyring(path, passphrase)
    return 0


def _store_in_keyring(path: Path, passphrase: str) -> None:
    from models.replica import keyfile
    from scc_desktop import unlock

    try:
        key, _ = keyfile.unlock(path, passphrase)
    except keyfile.WrongPassphraseError:
        raise UserError("the passphrase is not correct for this replica",
                        unlock.EXIT_WRONG_PASSPHRASE) from None
    try:
        unlock.remember_key(path, key)
    except unlock.KeyringUnavailable as exc:
        raise UserError(f"{exc}; the key was not stored, the passphrase is still needed") from None
    print("The unlock key is now kept in the OS keyring.")


def _info(args) -> int:
    from sqlalchemy import func, select

    from models.replica.orm import Base
    from scc_desktop import unlock

    path = _path(args)
    with unlock.open_store(path) as store, store.session() as s:
        header = _header(path)
        counts = {t.name: s.scalar(select(func.count()).select_from(t))
                  for t in Base.metadata.sorted_tables}
        revision = store.schema_revision()
        renewed = _renewals(s)
    print(json.dumps({"path": str(path), "cipher": header["cipher"], "kdf": {
        k: v for k, v in header["kdf"].items() if k != "salt"}, "schema": revision,
        "created_at": header.get("created_at"), "rows": counts, "identities_before": renewed}, indent=2))
    return 0


def _renewals(session) -> list[str]:
    """Each identity this replica had before, in words (a copy found, a restore), oldest first."""
    from models.records import identity_notice

    return [r.sentence() for r in identity_notice.renewals(session)]


def _header(path: Path) -> dict:
    from models.replica import keyfile

    try:
        return keyfile.read_header(path)
    except keyfile.KeyHeaderError as exc:
        raise UserError(str(exc)) from None


def _passwd(args) -> int:
    from models.replica import keyfile
    from scc_desktop import unlock

    path = _path(args)
    _header(path)
    old = unlock.ask_passphrase("Current passphrase: ")
    new = _new_passphrase()
    try:
        keyfile.change_passphrase(path, old, new)
    except keyfile.WrongPassphraseError:
        raise UserError("the current passphrase is not correct; nothing was changed",
                        unlock.EXIT_WRONG_PASSPHRASE) from None
    print("Passphrase changed. The data was not rewritten; the old passphrase no longer opens the replica.")
    return 0


def _new_passphrase() -> str:
    import getpass

    from scc_desktop import unlock

    new = os.environ.get(NEW_PASSPHRASE_ENV)
    if not new:
        if not sys.stdin.isatty():
            raise UserError(f"set {NEW_PASSPHRASE_ENV} for a non-interactive passphrase change", 2)
        new = getpass.getpass("New passphrase: ")
        if getpass.getpass("Repeat the new passphrase: ") != new:
            raise UserError("the two passphrases differ; nothing was changed", 2)
    unlock.check_new_passphrase(new)
    return new


def _remember(args) -> int:
    from scc_desktop import unlock

    path = _path(args)
    _header(path)
    _store_in_keyring(path, unlock.ask_passphrase())
    return 0


def _forget(args) -> int:
    from scc_desktop import unlock

    removed = unlock.forget_key(_path(args))
    print("Removed the unlock key from the OS keyring." if removed else
          "No unlock key was stored in the OS keyring for this replica.")
    return 0


def _check(args) -> int:
    from scc_desktop import unlock

    with unlock.open_store(_path(args)) as store, store.raw() as raw:
        result = [r[0] for r in raw.execute("PRAGMA integrity_check").fetchall()]
    if result == ["ok"]:
        print("Integrity check passed.")
        return 0
    print("\n".join(result))
    return 1
