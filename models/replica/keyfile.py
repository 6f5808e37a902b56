"""The replica's key header: a random database key wrapped under the passphrase.

The database is encrypted with a random 256-bit key that never changes.  That
key is stored only wrapped (AES-256-GCM) under a key derived from the user's
passphrase with scrypt.  The header lives beside the database in a small JSON
file (``<replica>.key``) because it must be readable before the database can
be decrypted.  Changing the passphrase re-wraps the key and rewrites only this
file (atomically), never the data.

The header records everything needed to unwrap: KDF name and parameters,
salt, nonce and the cipher the database uses.  Those fields are authenticated
as GCM associated data, so a header edited to weaken the KDF fails to unlock.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


FORMAT = "scc-desktop-key-header"
VERSION = 1
KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    """scrypt cost: ``n`` CPU/memory cost (power of two), ``r`` block size, ``p`` parallelism.

    The default (n=2**17, r=8) needs 128 MiB and about half a second, which
    makes guessing passphrases from a stolen laptop slow.  Tests pass a small
    ``n``; the value used is recorded in the header.
    """

    n: int = 2**17
    r: int = 8
    p: int = 1

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        if not passphrase:
            raise ValueError("the passphrase is empty")
        return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=self.n, r=self.r,
                              p=self.p, maxmem=256 * self.n * self.r + 2**20, dklen=KEY_BYTES)


class KeyHeaderError(Exception):
    """The key header is missing, unreadable or not ours."""


class WrongPassphraseError(Exception):
    """The passphrase does not unwrap the database key."""


def header_path(db_path: Path | str) -> Path:
    return Path(f"{db_path}.key")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _aad(header: dict) -> bytes:
    fields = {k: header[k] for k in ("format", "version", "cipher", "kdf", "db_id")}
    return json.dumps(fields, sort_keys=True).encode("utf-8")


def _wrap(header: dict, db_key: bytes, passphrase: str, params: KdfParams) -> dict:
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    header = dict(header)
    header["kdf"] = {"name": "scrypt", "n": params.n, "r": params.r, "p": params.p, "salt": _b64(salt)}
    kek = params.derive(passphrase, salt)
    header["wrap"] = {"alg": "AES-256-GCM", "nonce": _b64(nonce),
                      "wrapped_key": _b64(_aesgcm(kek).encrypt(nonce, db_key, _aad(header)))}
    header["changed_at"] = datetime.now(timezone.utc).isoformat()
    return header


def _write_atomic(path: Path, header: dict) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(header, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its rename is durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_header(db_path: Path | str) -> dict:
    path = header_path(db_path)
    try:
        header = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyHeaderError(f"the key header {path} is missing; without it the replica "
                             "cannot be opened (restore it from backup)") from None
    except ValueError:  # not JSON, or not text at all
        raise KeyHeaderError(f"the key header {path} is damaged: it is not an SCC Desktop key header "
                             "(restore it from backup)") from None
    except OSError as exc:
        raise KeyHeaderError(f"the key header {path} cannot be read: {exc.strerror or exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise KeyHeaderError(f"{path} is not an SCC Desktop key header")
    if header.get("version") != VERSION:
        raise KeyHeaderError(f"{path} has header version {header.get('version')!r}; "
                             f"this version of SCC Desktop reads version {VERSION}")
    return header


def create(db_path: Path | str, passphrase: str, cipher: str,
           params: KdfParams = KdfParams()) -> bytes:
    """Make a new random database key, write its header, return the key."""
    path = header_path(db_path)
    if path.exists():
        raise KeyHeaderError(f"{path} already exists; refusing to replace the key of an existing replica")
    db_key = secrets.token_bytes(KEY_BYTES)
    header = {"format": FORMAT, "version": VERSION, "cipher": cipher,
              "db_id": secrets.token_hex(16), "created_at": datetime.now(timezone.utc).isoformat()}
    _write_atomic(path, _wrap(header, db_key, passphrase, params))
    return db_key


def unlock(db_path: Path | str, passphrase: str) -> tuple[bytes, dict]:
    """Unwrap the database key. Returns ``(key, header)``."""
    header = read_header(db_path)
    from cryptography.exceptions import InvalidTag

    try:
        kdf, wrap = header["kdf"], header["wrap"]
        if kdf.get("name") != "scrypt":
            raise KeyHeaderError(f"unsupported key derivation {kdf.get('name')!r} in the key header")
        params = KdfParams(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
        kek = params.derive(passphrase, _unb64(kdf["salt"]))
        key = _aesgcm(kek).decrypt(_unb64(wrap["nonce"]), _unb64(wrap["wrapped_key"]), _aad(header))
    except InvalidTag:
        raise WrongPassphraseError("the passphrase is not correct for this replica") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyHeaderError(f"the key header {header_path(db_path)} is damaged: {exc}") from None
    return key, header


def _aesgcm(kek: bytes):
    """AES-GCM with the key-encryption key (the library loads only when a key is wrapped or
    unwrapped: a start with the key from the OS keyring does not need it)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(kek)


def unlock_in_background(db_path: Path | str, passphrase: str):
    """Start ``unlock`` on a worker thread and return its future.

    Key derivation is deliberately slow (scrypt, ~0.6 s) and does not hold the
    GIL, so a start-up can import the GUI and database libraries meanwhile;
    ``future.result()`` gives ``(key, header)`` or raises what ``unlock`` raises.
    """
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unlock")
    future = pool.submit(unlock, db_path, passphrase)
    pool.shutdown(wait=False)
    return future


def change_passphrase(db_path: Path | str, old: str, new: str, params: KdfParams | None = None) -> None:
    """Re-wrap the same database key under a new passphrase; the data is untouched."""
    key, header = unlock(db_path, old)
    if params is None:
        kdf = header["kdf"]
        params = KdfParams(n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"]))
    _write_atomic(header_path(db_path), _wrap(header, key, new, params))
