"""``scc-desktop app`` unlocking from SCC_PASSPHRASE (key derived while the libraries load)."""

from __future__ import annotations

from models.store import Store
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run


def test_scripted_start_renders_with_the_right_passphrase_and_refuses_a_wrong_one(tmp_path):
    path = tmp_path / "scc.db"
    Store.create(path, PASS, kdf=FAST_KDF).close()
    shot = tmp_path / "overview.png"
    ok = run("app", "--path", str(path), "--screenshot", str(shot), env_extra={"SCC_PASSPHRASE": PASS},
             home=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert shot.stat().st_size > 10_000
    wrong = run("app", "--path", str(path), "--screenshot", str(tmp_path / "no.png"),
                env_extra={"SCC_PASSPHRASE": "not the passphrase"}, home=tmp_path)
    assert wrong.returncode == 3 and "passphrase is not correct" in wrong.stderr
    assert not (tmp_path / "no.png").exists()
    (tmp_path / "scc.db.key").unlink()
    lost = run("app", "--path", str(path), "--screenshot", str(tmp_path / "no.png"),
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert lost.returncode == 1 and "key" in lost.stderr and "Traceback" not in lost.stderr
