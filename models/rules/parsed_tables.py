"""Framework data files kept parsed between runs, found by a hash of their bytes.

TOML is parsed in pure Python; the window's first paint needs the OPEL tables and the metric
catalogue. A file parsed once is kept as JSON (``<sha256 of the file>.json``) in a folder the
application chooses; the next start reads that back in a fraction of the time. The hash makes a
kept copy impossible to mistake for an edited file, JSON (not pickle) makes a kept file data and
never code, and TOML's dates and times, which JSON lacks, are tagged. Any problem with the folder
(missing, read-only, full, a damaged file) is the same as having nothing kept: the caller parses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TAG = "$toml"   # a kept value {TAG: kind, "v": iso text}; a file using this key itself is never kept
_KINDS = {"datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat, "time": dt.time.fromisoformat}
VERSION = 1     # of the kept format: part of the name, so a change never reads an old file


def _name(raw: bytes) -> str:
    return f"v{VERSION}-{hashlib.sha256(raw).hexdigest()}.json"


def _revive(obj: dict) -> Any:
    kind = obj.get(TAG)
    if kind is None:
        return obj
    return _KINDS[kind](obj["v"])


def _tagged(value: Any) -> dict:
    for kind, cls in (("datetime", dt.datetime), ("date", dt.date), ("time", dt.time)):
        if isinstance(value, cls):   # datetime before date: a datetime is a date too
            return {TAG: kind, "v": value.isoformat()}
    raise TypeError(f"not a TOML value: {type(value).__name__}")


def _uses_tag(value: Any) -> bool:
    if isinstance(value, dict):
        return TAG in value or any(_uses_tag(v) for v in value.values())
    if isinstance(value, list):
        return any(_uses_tag(v) for v in value)
    return False


def read(folder: Path, raw: bytes) -> dict | None:
    """The parsed data of a file whose bytes are ``raw``, if kept in ``folder``; else None."""
    try:
        text = (folder / _name(raw)).read_text(encoding="utf-8")
        data = json.loads(text, object_hook=_revive)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:   # damaged or unreadable: parse again
        log.debug("kept table in %s not used: %s", folder, exc)
        return None
    return data if isinstance(data, dict) else None


def write(folder: Path, raw: bytes, data: dict) -> None:
    """Keep ``data`` (parsed from ``raw``) in ``folder``; a failure is only logged."""
    if _uses_tag(data):
        return
    path = folder / _name(raw)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, default=_tagged, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)   # whole or not at all: a reader never sees half a file
    except (OSError, TypeError, ValueError) as exc:
        log.debug("table not kept in %s: %s", folder, exc)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
