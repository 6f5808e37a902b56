"""``--screenshot FILE.png --size WxH``: a view rendered at a wall screen's size; a bad size is refused
up front, naming the option and the reason."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica


@pytest.mark.parametrize("text, size", [("1920x1080", (1920, 1080)), ("3840X2160", (3840, 2160)),
                                        (" 1366x768 ", (1366, 768))])
def test_a_size_is_width_by_height(text, size):
    from scc_desktop.commands.app import parse_size

    assert parse_size(text) == size


@pytest.mark.parametrize("argv, reason", [
    (["demo", "--screenshot", "x.png", "--size", "1920"], "--size: '1920' is not WIDTHxHEIGHT"),
    (["demo", "--screenshot", "x.png", "--size", "1920x-5"], "--size: '1920x-5' is not WIDTHxHEIGHT"),
    (["app", "--screenshot", "x.png", "--size", "100x100"], "--size: 100x100 is too small"),
    (["app", "--screenshot", "x.png", "--size", "20000x1080"], "--size: 20000x1080 is too large"),
    (["app", "--size", "1920x1080"], "--size: only with --screenshot"),
])
def test_a_bad_size_is_refused_naming_the_option(tmp_path, capsys, monkeypatch, argv, reason):
    from scc_desktop import cli

    monkeypatch.chdir(tmp_path)
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2 and reason in err and "Traceback" not in err, err
    assert not list(tmp_path.glob("*"))        # nothing started, nothing written


def test_the_app_renders_at_the_size_asked(tmp_path):
    path = tmp_path / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    shot = tmp_path / "system.png"
    done = run("app", "--path", str(path), "--screenshot", str(shot), "--view", "system", "--size", "1920x1080",
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1920, 1080)
