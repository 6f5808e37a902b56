"""Files the app writes for people to read (the room's papers, the business-continuity pack, a contacts
export): the owner's only on POSIX, whatever the umask, and each whole or not at all.

The business-continuity pack holds the whole contact directory with phone numbers, and the papers name
sites, staff and decisions; they must still print with no IT, so they are plain PDF, JSON and CSV, not
encrypted.  What protects them is who may read them:

- a file is written to a temporary name of its own in the same folder, created ``0600`` with ``O_EXCL``
  (a link planted there is never followed), flushed to disk, then renamed over the final name, so a
  reader never sees half a file and a file it replaces, whatever its mode, is replaced by one that is
  the owner's only;
- a folder the app makes, and each missing folder above it, is made ``0700``;
- a folder that exists already keeps its mode (a room's shared folder is its own choice), but one that
  others may read or enter is named in a warning (:func:`folder`), which the command prints and the
  window shows;
- on a filesystem that does not keep Unix modes (FAT, a network share mounted with fixed modes: its
  folders and files read the mount's modes, often 0755, whatever they were made with) a folder open to
  others gets a warning that says so, since ``chmod o-rwx`` cannot be followed there: the share's access
  control list (or the mount's options) decides, docs/deployment.md.  It is found by the mode a folder
  the app made (or a probe file made ``0600``) reads back.

On Windows the modes do not apply: a file takes the folder's access control list, which the deploying
organisation sets (docs/deployment.md).
"""

from __future__ import annotations

import os
import stat
import sys
import uuid
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
POSIX = sys.platform != "win32"


def folder(path: Path) -> str | None:
    """Make ``path`` (and every missing folder above it) owner-only; a warning naming an existing folder that
    others may read or enter, else None.  ``OSError`` when it cannot be made."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for made in reversed(missing):
        made.mkdir(mode=FOLDER_MODE, exist_ok=True)   # the umask can only take bits away from 0700
    if not POSIX:
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & (stat.S_IROTH | stat.S_IXOTH):
        return None
    # Open to others: a folder it made 0700 that reads otherwise, or a file made 0600 that does, is on a
    # filesystem that does not keep modes (found by a paper review, session 26: the advice was chmod).
    # The words do not depend on which was found, so the hourly pack logs them once (ui.bc_pack_writer).
    probe = None if missing else _probe_mode(path)
    if missing or (probe is not None and probe != FILE_MODE):
        return (f"every user of this computer can read the folder {path} (mode {mode:04o}) and the files in it: "
                f"its filesystem does not keep the Unix modes the app sets (folders {FOLDER_MODE:04o}, files "
                f"{FILE_MODE:04o}), so chmod cannot close it; limit it to the "
                f"room's accounts with the share's access control list or the mount's options (docs/deployment.md, "
                f"docs/reports.md) or choose another folder")
    return (f"every user of this computer can read the folder {path} (mode {mode:04o}): the files in it are "
            f"the owner's only, their names are not; make it the room's own (chmod o-rwx) or choose another")


def _probe_mode(path: Path) -> int | None:
    """The mode a file made ``0600`` in ``path`` reads back (then removed); None when none can be made there
    (the writes that follow say why)."""
    probe = path / f".scc-mode-probe-{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(probe, flags, FILE_MODE)
    except OSError:
        return None
    try:
        return stat.S_IMODE(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)


def write(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path``, the owner's only, whole or not at all.  The temporary name is this write's
    own, so desktops writing into one shared folder never write into each other's."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        with os.fdopen(os.open(tmp, flags, FILE_MODE), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
