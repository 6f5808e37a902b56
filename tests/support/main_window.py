"""The application's real main window for UI tests, offscreen: on a replica, at a screen's size, in a theme,
one view shown with its reads done.

    window, view = showing(qtbot, store, "system", (1920, 1080), now=NOW, theme_key="dark")
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from ui import tasks
from ui.main_window import MainWindow


def showing(qtbot, store, view: str, size: tuple[int, int] = (1366, 768), *, now=None, clock=None,
            theme_key: str | None = None, text_scale: float | None = None, settle: int = 3, wait_ms: int = 10_000):
    """``(window, view)``: a MainWindow on ``store`` (its clock ``clock``, else always ``now``) kept by
    ``qtbot``, resized to ``size`` and shown, in ``theme_key`` and at ``text_scale`` when given, showing ``view``; the task
    manager idle (within ``wait_ms``), then ``settle`` rounds of the UI's events."""
    window = MainWindow(store, clock=clock if clock is not None else (lambda: now))
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    if theme_key is not None:
        window.set_theme(theme_key)
    if text_scale is not None:
        window.set_text_scale(text_scale)
    shown = window.show_view(view)
    assert tasks.manager().wait_idle(wait_ms)
    for _ in range(settle):
        QApplication.processEvents()
    return window, shown
