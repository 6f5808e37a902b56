"""``scc-desktop app`` unlocking from SCC_PASSPHRASE (key derived while the libraries load)."""

from __future__ import annotations

from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica


def test_scripted_start_renders_with_the_right_passphrase_and_refuses_a_wrong_one(tmp_path):
    path = tmp_path / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
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


def test_view_options_count_before_the_subcommand_and_bad_ones_are_refused_up_front(tmp_path, capsys):
    from scc_desktop import cli

    parser = cli.build_parser()
    before = parser.parse_args(["--screenshot", "x.png", "--view", "provider", "demo"])
    assert (str(before.screenshot), before.view) == ("x.png", "provider")
    after = parser.parse_args(["--view", "ambulance", "app", "--view", "offload"])
    assert after.view == "offload"                      # the subcommand's own option wins
    for argv, reason in ((["demo", "--screenshot", str(tmp_path / "shot.txt")], "must be a .png"),
                         (["app", "--screenshot", str(tmp_path)], "is a folder"),
                         (["demo", "--view", "wallboard"], "unknown view")):
        code = cli.main(argv)
        err = capsys.readouterr().err
        assert code == 2 and reason in err and "Traceback" not in err, (argv, err)
    assert not list(tmp_path.glob("*"))                 # nothing started, nothing written
