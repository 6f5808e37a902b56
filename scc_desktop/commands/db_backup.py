"""``scc-desktop db backup`` and ``db restore`` (models/replica/backup.py; docs/reliability.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scc_desktop.commands.replica_option import add_path_option
from scc_desktop.errors import UserError


def register(sub) -> None:
    backup = sub.add_parser("backup", help="write a backup of the replica (and its key file) while it is in use")
    backup.add_argument("--out", type=Path, required=True, metavar="FILE",
                        help="the backup's file (new; FILE.key is written beside it)")
    add_path_option(backup, action=True)
    backup.set_defaults(handler=_backup)

    restore = sub.add_parser("restore", help="put a backup in place of the replica (what was there is kept aside)")
    restore.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE",
                         help="a backup written by 'db backup' (its FILE.key beside it)")
    restore.add_argument("--leave-unsent-aside", action="store_true",
                         help="restore even though the replica holds records not yet sent that the backup lacks "
                              "(they stay in the replica moved aside)")
    add_path_option(restore, action=True)
    restore.set_defaults(handler=_restore)


def _backup(args) -> int:
    from models.replica import backup, keyfile
    from models.replica.store import StoreError
    from scc_desktop import unlock
    from scc_desktop.commands.db import _path

    path = _path(args)
    out = args.out
    if out.is_dir():
        raise UserError(f"--out {out} is a folder; give the backup's file name, e.g. {out / 'scc-backup.db'}", 2)
    with unlock.open_store(path) as store:
        try:
            facts = backup.backup(path, store.key, store.cipher, out)
        except StoreError as exc:
            raise UserError(f"--out: {exc}") from None
        except OSError as exc:
            raise UserError(f"--out {out}: the backup cannot be written ({exc.strerror or exc}); nothing was "
                            "left there") from None
    print(json.dumps({"backup": str(out), "key_file": str(keyfile.header_path(out)), **facts.as_json()}, indent=2))
    print(f"Backed up {path} to {out}, at feed position {facts.position:,} with {len(facts.unsent)} record(s) not "
          "yet sent. It opens with the passphrase the replica has now: keep its .key file with it.", file=sys.stderr)
    return 0


def _restore(args) -> int:
    from models.replica import backup, keyfile
    from models.replica.store import DEFAULT_CIPHER, StoreError
    from scc_desktop import single_window, unlock
    from scc_desktop.commands.db import _path

    path, source = _path(args), args.source
    if not source.is_file() or not keyfile.header_path(source).is_file():
        missing = source if not source.is_file() else keyfile.header_path(source)
        raise UserError(f"--from {source}: {missing} does not exist (a backup is its file and its .key file)", 2)
    passphrase = unlock.ask_passphrase("Backup passphrase: ")
    try:
        key, header = keyfile.unlock(source, passphrase)
    except keyfile.WrongPassphraseError:
        raise UserError(f"--from {source}: the passphrase does not open the backup (it opens with the passphrase "
                        "the replica had when the backup was made); nothing was changed",
                        unlock.EXIT_WRONG_PASSPHRASE) from None
    except (keyfile.KeyHeaderError, ValueError) as exc:
        raise UserError(f"--from {source}: {exc}; nothing was changed") from None
    try:
        with single_window.window_closed(path):
            restored = backup.restore(path, source, key, header.get("cipher", DEFAULT_CIPHER),
                                      current_key=_current_key(path, passphrase, key, header),
                                      leave_unsent_aside=args.leave_unsent_aside)
    except single_window.WindowOpen as exc:
        raise UserError(f"{exc}; nothing was changed") from None
    except StoreError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"the backup cannot be put in place of {path} ({exc.strerror or exc}); what was there is "
                        "as it was") from None
    print(json.dumps({"restored": str(path), "from": str(source), "aside": str(restored.aside) if restored.aside else None,
                      **restored.facts.as_json(), "left_unsent_aside": len(restored.left_unsent),
                      "replaced": restored.replaced.as_json() if restored.replaced else None,
                      "replaced_unread": restored.replaced_problem,
                      "finished_first": [str(a) for a in restored.resumed],
                      "device_id": restored.device_id, "device_id_before": restored.device_id_before}, indent=2))
    kept = (f"what was there is kept in {restored.aside}" if restored.aside else "there was no replica there")
    if restored.replica is not None and restored.replica != path:
        kept += f" ({path} is a link to {restored.replica}: the backup is there, the link kept)"
    said = [f"Restored {path} from {source} (feed position {restored.facts.position:,}); {kept}. The next sync "
            "brings everything since from the hub."]
    if restored.device_id:
        said.append(f"It records under a new device identity from now on ({restored.device_id}; it was "
                    f"{restored.device_id_before}), so decisions recorded here before its next sync do not clash with "
                    "ones already sent from the replica this backup was taken of.")
    if restored.resumed:
        said.append(f"A restore stopped part way before was finished first: the replica that was there then is "
                    f"kept whole in {', '.join(str(a) for a in restored.resumed)}.")
    if restored.left_unsent:
        said.append(f"{len(restored.left_unsent)} record(s) not yet sent stay in the replica moved aside: send them "
                    f"with 'scc-desktop sync --once --path {restored.aside / (restored.replica or path).name}'.")
    if restored.replaced_problem:
        said.append(f"The replaced replica could not be read ({restored.replaced_problem}), so records it had not "
                    "sent could not be counted; it is kept aside whole.")
    print(" ".join(said), file=sys.stderr)
    return 0


def _current_key(path: Path, passphrase: str, backup_key: bytes, backup_header: dict) -> bytes | None:
    """The key of the replica there now: the backup's passphrase, else the backup's own key if it is the same
    replica (its passphrase changed since: 'db passwd' re-wraps the key, the key stays), else the OS keyring's
    key, else None."""
    from models.replica import keyfile
    from scc_desktop import unlock

    if not path.exists():
        return None
    try:
        return keyfile.unlock(path, passphrase)[0]
    except (keyfile.WrongPassphraseError, keyfile.KeyHeaderError, ValueError, OSError):
        pass
    try:
        if backup_header.get("db_id") and keyfile.read_header(path).get("db_id") == backup_header["db_id"]:
            return backup_key
    except keyfile.KeyHeaderError:
        pass
    return unlock.key_from_keyring(path)
