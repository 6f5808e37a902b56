from __future__ import annotations

import pytest

from ui import theme


@pytest.fixture(autouse=True)
def _light_theme():
    """Views read the current theme; one test's theme must not leak into the next."""
    theme.set_current("light")
    yield
    theme.set_current("light")
