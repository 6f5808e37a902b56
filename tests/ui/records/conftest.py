"""Record views over a real encrypted replica, real widgets offscreen; a real hub on loopback."""

from __future__ import annotations

import pytest

from tests.models.conftest import store, store_path  # noqa: F401
from tests.records.conftest import make_desktop, sqlite_hub  # noqa: F401
from tests.ui.feeds import NOW
from tests.ui.test_views import _view
from ui import tasks


def settle() -> None:
    """Run the UI thread until every read and write the views asked for is delivered."""
    assert tasks.manager().wait_idle(20_000), "work off the UI thread did not finish"


def open_view(qtbot, cls, store, now=NOW, author="Test User"):
    view = _view(qtbot, cls, store, now)
    view.author = author
    settle()   # the first read lands off the UI thread
    return view


@pytest.fixture(autouse=True)
def _clean_clipboard(qapp):
    qapp.clipboard().clear()
    yield
