"""Found in review: a window started after a 'db restore' that was killed among its renames (the replica moved
aside, the backup not yet in place) showed the first-run set-up, whose Create then refused."""

from __future__ import annotations

import pytest

from models.replica import backup, keyfile

from tests.models.test_foreign_log import _killed_after
from tests.models.test_restore_faults import _replica, _restore_killed_at, _rows
from tests.scc_desktop.test_stop_signals import PASS as WINDOW_PASS, READY, Desktop

pytestmark = pytest.mark.timeout(180)


def test_the_next_window_finishes_a_restore_cut_short(tmp_path, monkeypatch):
    from tests.models import conftest

    monkeypatch.setattr(conftest, "PASSPHRASE", WINDOW_PASS)
    import tests.models.test_restore_faults as review
    monkeypatch.setattr(review, "PASSPHRASE", WINDOW_PASS)
    here = tmp_path / "laptop" / "scc.db"
    key = _replica(here)
    out = tmp_path / "monday.db"
    backup.backup(here, key, "aegis", out)
    assert _killed_after(here, key, "with c:\n    c.execute(\"INSERT INTO t VALUES ('only in the log')\")\n"
                         ).returncode == -9
    assert _restore_killed_at(here, out, key, 5) == -9   # the replica and its key moved aside, its log not yet
    assert not here.exists()
    (tmp_path / "w").mkdir()
    d = Desktop(tmp_path / "w", "app", "--path", str(here), env={"SCC_PASSPHRASE": WINDOW_PASS})
    try:
        d.wait_for(READY)
        assert "a restore" in d.log() and "finished" in d.log()
    finally:
        d.kill()
    assert _rows(here, key) == ["in the backup"]
    asides = [a for a in here.parent.iterdir() if a.is_dir()]
    assert len(asides) == 1
    assert _rows(asides[0] / "scc.db", keyfile.unlock(asides[0] / "scc.db", WINDOW_PASS)[0]) == \
        ["in the backup", "only in the log"]
