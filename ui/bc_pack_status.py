"""The status bar's line about the business-continuity pack, always there once the window is warm.

With no folder set nothing writes the pack, and a room that loses its IT finds no pack to print: the
line says "BC pack not set up" (a link to File > Settings, where the folder is chosen) until a folder
is set.  With one it says when the pack was last written ("BC pack written 14:00", from this run or,
before the first refresh, the folder's ``bc-pack-latest.pdf``), or that none has been yet; beside a
failed refresh's red "BC pack not refreshed" note (``ui.bc_pack_writer``) it says when the last pack
that was written dates from.  In words, never colour alone.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtWidgets import QLabel

from models.uk_time import UK
from ui import format as fmt

NOT_SET_UP = "BC pack not set up"
NOT_SET_UP_TIP = ("The business-continuity pack is not being written: no folder is set for it. Choose one in "
                  "File > Settings, 'Business continuity pack' (or set SCC_BC_PACK_DIR); the pack is then "
                  "written every hour, from this computer's copy of the data, for the room to print if "
                  "the IT fails.")
# White on dark amber (the not-refreshed note is white on red): readable on every theme.
NOT_SET_UP_CSS = "background:#7a4a00;color:#ffffff;font-weight:bold;padding:1px 6px;"
LATEST = "bc-pack-latest.pdf"


def label_of(window) -> QLabel:
    """The window's pack line, made (and put in the status bar) the first time it is asked for."""
    label = getattr(window, "bc_pack_status", None)
    if label is None:
        label = QLabel(window)
        label.setObjectName("bcPackStatus")
        label.linkActivated.connect(lambda _link: window.open_settings())
        window.statusBar().addPermanentWidget(label)
        window.bc_pack_status = label
    return label


def _written_before(folder: Path) -> datetime | None:
    """When the folder's latest pack was written (an earlier run's), or None."""
    try:
        return datetime.fromtimestamp((folder / LATEST).stat().st_mtime, timezone.utc)
    except OSError:
        return None


def words(writer, now: datetime | None = None) -> tuple[str, str]:
    """(the line, its tooltip) for ``writer`` (``ui.bc_pack_writer.BcPackWriter``, None: no folder set)."""
    if writer is None:
        return NOT_SET_UP, NOT_SET_UP_TIP
    if writer.last is not None:
        at, pdf = writer.last.written.report.at, writer.last.written.pdf
        when = fmt.local_time(at, with_date=now is None or now.astimezone(UK).date() != at.astimezone(UK).date())
        said = f"written {when}"
        tip = f"The business-continuity pack was last written at {fmt.local_time(at, True)}: {pdf.name} in {pdf.parent}."
    else:
        before = _written_before(writer.folder)
        said = f"last written {fmt.local_time(before, True)}" if before else "not written yet"
        tip = (f"The business-continuity pack in {writer.folder} was last written at {fmt.local_time(before, True)}."
               if before else f"No business-continuity pack has been written into {writer.folder} yet.")
    if writer.problem:
        return (f"BC pack {said}" if writer.last is None else f"BC pack last {said}"), f"{writer.problem} {tip}"
    return f"BC pack {said}", tip + " It is refreshed every hour."


def show(window) -> QLabel:
    """Say where the window's pack stands now (at start, after the settings change, after each refresh)."""
    label = label_of(window)
    writer = getattr(window, "bc_pack", None)
    clock = getattr(window, "clock", None)
    text, tip = words(writer, clock() if clock else None)
    if writer is None:
        label.setText(f'<a href="settings" style="color:#ffffff">{NOT_SET_UP}</a>')
        label.setStyleSheet(NOT_SET_UP_CSS)
        label.setAccessibleName(f"Business continuity pack: not set up. {NOT_SET_UP_TIP}")
    else:
        label.setText(text)
        label.setStyleSheet("")
        label.setAccessibleName(f"Business continuity pack: {text[len('BC pack '):]}")
    label.setToolTip(tip)
    label.show()
    return label


def plain_text(window) -> str:
    """The line as read (its link's markup taken off), for tests and the accessible summary."""
    label = label_of(window)
    return NOT_SET_UP if getattr(window, "bc_pack", None) is None else label.text()
