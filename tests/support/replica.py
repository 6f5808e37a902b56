"""Fresh test replicas without running the migrations for each one.

Creating a replica runs every migration (about 0.5 s of DDL on a quiet machine, hundreds of tests
need one).  ``fresh_replica`` makes one real replica per (passphrase, cipher, KDF) with
``Store.create`` for the whole run and gives each caller a copy of its files, opened with the
passphrase as a user opens one (``Store.unlock``).  A fresh replica holds no identity of its own
yet (the device id is made on first authoring), so copies are as independent as new ones; they
share only the random database key and the header's ``db_id``, which no test tells apart.
Tests of creation itself (key header, KDF, modes) call ``Store.create``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from models.replica import keyfile
from models.replica.store import DEFAULT_CIPHER, Store

_templates: dict[tuple, Path] = {}
_lock = threading.Lock()
_folder: Path | None = None


def _template(passphrase: str, cipher: str, kdf: keyfile.KdfParams) -> Path:
    global _folder
    with _lock:
        key = (passphrase, cipher, kdf)
        if key not in _templates:
            if _folder is None:
                _folder = Path(tempfile.mkdtemp(prefix="scc-replica-templates-"))
                atexit.register(shutil.rmtree, _folder, True)
            path = _folder / str(len(_templates)) / "scc.db"
            Store.create(path, passphrase, cipher=cipher, kdf=kdf).close()
            _templates[key] = path
        return _templates[key]


def fresh_replica(path: Path | str, passphrase: str, *, cipher: str = DEFAULT_CIPHER,
                  kdf: keyfile.KdfParams = keyfile.KdfParams()) -> Store:
    """An empty replica at ``path`` (with its key header), open; as ``Store.create`` gives one."""
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        raise FileExistsError(f"{path} already exists")
    template = _template(passphrase, cipher, kdf)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The database and its key header; a closed replica has no -wal or -shm left, but copy any.
    for source in template.parent.iterdir():
        if source.name.startswith(template.name):
            shutil.copy2(source, path.parent / (path.name + source.name[len(template.name):]))
    return Store.unlock(path, passphrase)
