"""The tab bar's scroll arrows at 1366x768 (the tabs do not fit): in the theme's colours, arrows seen.

The walkthrough's fault: in the dark theme they were the platform's white buttons with the theme's
pale text colour for arrows, so the arrows all but vanished.  Rendered on a real replica, every
theme: each button's face is the theme's button colour, and its arrow stands out from it.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolButton

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme

pytestmark = pytest.mark.usefixtures("settled")


def _contrast(a, b) -> float:
    def lum(c) -> float:
        lin = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("theme_key", ["dark", "light", "high_contrast"])
def test_the_tab_scroll_arrows_wear_the_theme_and_their_arrows_show(qtbot, store, tmp_path, theme_key):
    from scc_desktop import gui
    from ui.main_window import MainWindow

    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    gui.render(window, tmp_path / f"tabs-{theme_key}.png", "actions", theme=theme_key, size=(1366, 768))
    t = theme.THEMES[theme_key]
    buttons = [b for b in window.tabs.tabBar().findChildren(QToolButton) if b.isVisible()]
    assert len(buttons) == 2, "at 1366x768 the tabs do not fit, so the scroll arrows show"
    face = QColor(t.button)
    for b in buttons:
        image = b.grab().toImage()
        w, h = image.width(), image.height()
        corner = image.pixelColor(4, 4)           # inside the border, away from the arrow
        assert corner.name() == face.name(), f"{b.objectName()}: face {corner.name()}, theme's button {t.button}"
        best = max(_contrast(image.pixelColor(x, y), face)
                   for x in range(w // 4, 3 * w // 4) for y in range(h // 4, 3 * h // 4))
        enough = 3.0 if b.isEnabled() else 1.5    # a disabled arrow is dimmer, and has a dashed border
        assert best >= enough, f"{b.objectName()}: its arrow's contrast on its face is only {best:.2f}"
