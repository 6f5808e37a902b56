"""Can a window open here?  Checked before Qt loads, and before the demo starts its hub.

Qt's xcb platform plugin aborts the process (exit 134, a core dump and a
paragraph about plugins) when one of the X11 libraries it links is missing,
and on a stock Linux desktop some of them are not installed.  Loading each
library ourselves first turns that into one line naming the library and the
Debian/Ubuntu package that provides it.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

EXIT_NO_DISPLAY = 4   # distinct from 1 (failure), 2 (usage) and 3 (wrong passphrase)

# The libraries Qt 6's libqxcb.so links (ldd), beyond libxcb itself, with their Debian/Ubuntu packages.
XCB_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
)
APT_PACKAGES = " ".join(package for _, package in XCB_LIBRARIES)


def _load(name: str) -> None:
    ctypes.CDLL(name)


def _platform(env: Mapping[str, str]) -> str:
    """The Qt platform plugin Qt would pick (only the choice between xcb and the rest matters)."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") and (env.get("XDG_SESSION_TYPE") == "wayland" or not env.get("DISPLAY")):
        return "wayland"
    return "xcb"


def problem(env: Mapping[str, str] | None = None, *, load: Callable[[str], None] = _load,
            platform: str | None = None) -> str | None:
    """Why no window can open here, in one line; None when nothing is known to stop it."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith("linux") or _platform(env) != "xcb":
        return None
    if not env.get("DISPLAY"):
        return ("no display: DISPLAY and WAYLAND_DISPLAY are not set (run from a desktop session, "
                "or set QT_QPA_PLATFORM=offscreen with --screenshot FILE.png)")
    missing = []
    for library, package in XCB_LIBRARIES:
        try:
            load(library)
        except OSError:
            missing.append((library, package))
    if not missing:
        return None
    libraries = ", ".join(library for library, _ in missing)
    packages = " ".join(package for _, package in missing)
    return (f"cannot open a window: Qt's X11 plugin needs {libraries}, not installed; "
            f"on Debian or Ubuntu: sudo apt install {packages}")


def check(env: Mapping[str, str] | None = None, *, load: Callable[[str], None] = _load,
          terminal: bool | None = None) -> None:
    """Exit with one line (code ``EXIT_NO_DISPLAY``) when no window can open here.

    Started from the applications menu (no terminal) that line went nowhere anyone reads: the
    menu's entry did nothing at all.  There the line also goes to the log file and, where the
    desktop has a notifier (``notify-send``), to a notification."""
    from scc_desktop.errors import UserError

    env = os.environ if env is None else env
    found = problem(env, load=load)
    if found:
        if not (sys.stderr.isatty() if terminal is None else terminal):
            tell_without_a_terminal(found, env)
        raise UserError(found, EXIT_NO_DISPLAY)


def tell_without_a_terminal(message: str, env: Mapping[str, str]) -> None:
    """``message`` in the log file (``scc_desktop.logs``' file) and a desktop notification; never fails."""
    import shutil
    import subprocess
    import time

    from scc_desktop import logs, paths

    try:
        folder = paths.log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / logs.LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} ERROR MainThread scc_desktop.display_check: "
                      f"{message}\n")
    except OSError:
        pass
    notifier = shutil.which("notify-send", path=env.get("PATH"))
    if notifier and (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        try:
            subprocess.run([notifier, "--app-name=SCC Desktop", "--urgency=critical",
                            "SCC Desktop cannot open its window", message],
                           env=dict(env), timeout=5, check=False, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass
