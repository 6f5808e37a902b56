"""The Decision log tab's Export… into a folder every user of the computer can read: written, the files the
owner's only, and the message says so, naming the folder (``models.owner_only``)."""

from __future__ import annotations

import os
import stat
import sys
from datetime import timedelta

import pytest

from sync import authoring
from tests.ui.feeds import NOW
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui.records.decisions_view import DecisionsView

pytestmark = [pytest.mark.usefixtures("settled"),
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes; on Windows the folder's ACL")]


def test_an_export_into_a_folder_all_can_read_says_so(qtbot, store, tmp_path):
    authoring.record_decision(store, decision_maker="Dr Ada", decision_maker_role="Director on-call",
                              decision="Open escalation beds at Alpha", rationale="r", recorded_by="Room support",
                              decided_at=NOW - timedelta(days=1))
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    view = open_view(qtbot, DecisionsView, store)
    old = os.umask(0o022)
    try:
        view.export_to(shared)
        settle()
    finally:
        os.umask(old)
    text = view.status.text()
    assert "Exported 1 decision" in text and "Warning: every user of this computer can read the folder" in text
    assert str(shared) in text and view.dialog is not None and str(shared) in view.dialog.text()
    assert {stat.S_IMODE(p.stat().st_mode) for p in shared.iterdir()} == {0o600}
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
