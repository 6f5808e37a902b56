"""The window's log file (scc_desktop/logs.py): per-user folder, rotated, private, never in the way."""

from __future__ import annotations

import logging
import stat
import sys

import pytest

from scc_desktop import logs, paths


class _Terminal(logging.StreamHandler):
    """A handler on whatever ``sys.stderr`` is when it writes (as logging's own last-resort handler
    is): one made on the ``sys.stderr`` of the fixture's set-up wrote to a closed stream under
    pytest-xdist (CI, 4 Dec: 'I/O operation on closed file', and the logging error quoting this
    test's INFO line landed in the captured stderr)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


@pytest.fixture
def terminal():
    """A terminal handler on the root logger at WARNING, as the command line sets it; put back after.
    Every other root handler is set aside meanwhile, and ``scc_desktop`` starts unset, as in a fresh
    process (a demo run in-process by an earlier test in the same worker left it at INFO)."""
    root, ours = logging.getLogger(), logging.getLogger("scc_desktop")
    handler = _Terminal()
    levels, others = (root.level, ours.level), list(root.handlers)
    root.handlers = [handler]
    root.setLevel(logging.WARNING)
    ours.setLevel(logging.NOTSET)
    yield handler
    root.handlers = others
    root.setLevel(levels[0])
    ours.setLevel(levels[1])


def test_info_goes_to_the_file_in_the_per_user_log_folder_and_the_terminal_keeps_its_level(capsys, terminal):
    file_log = logs.to_file()
    try:
        logging.getLogger("scc_desktop.test").info("window open")
        logging.getLogger("scc_desktop.test").warning("sync: hub unreachable")
    finally:
        file_log.close()
    assert logging.getLogger().level == logging.WARNING and terminal.filters == []   # put back
    assert file_log.path == paths.log_dir() / "scc-desktop.log"
    text = file_log.path.read_text(encoding="utf-8")
    assert "INFO MainThread scc_desktop.test: window open" in text and "hub unreachable" in text
    err = capsys.readouterr().err
    assert "hub unreachable" in err and "window open" not in err
    if sys.platform != "win32":
        assert stat.S_IMODE(file_log.path.stat().st_mode) == 0o600


def test_the_file_rotates_and_keeps_a_bounded_number(tmp_path):
    file_log = logs.to_file(tmp_path)
    line = "x" * 1000
    try:
        for _ in range(logs.MAX_BYTES * (logs.BACKUPS + 2) // 1000):
            logging.getLogger("scc_desktop.test").info(line)
    finally:
        file_log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["scc-desktop.log"] + [f"scc-desktop.log.{n}" for n in range(1, logs.BACKUPS + 1)]
    assert all((tmp_path / name).stat().st_size <= logs.MAX_BYTES for name in files)
    if sys.platform != "win32":
        assert {stat.S_IMODE((tmp_path / name).stat().st_mode) for name in files} == {0o600}


def test_a_log_folder_that_cannot_be_made_is_said_once_and_the_app_goes_on(tmp_path, capsys):
    blocked = tmp_path / "logs"
    blocked.write_text("a file where the folder should be")
    file_log = logs.to_file(blocked)
    logging.getLogger("scc_desktop.test").warning("still running")
    file_log.close()
    err = capsys.readouterr().err
    assert f"scc-desktop: no log file in {blocked}" in err
    assert len(err.strip().splitlines()) <= 2   # the one line (and the warning that still reaches stderr)


def test_a_logger_the_terminal_showed_at_info_stays_shown_and_the_others_stay_quiet(capsys, terminal):
    # The demo's terminal: the root at WARNING, scc_desktop at INFO ("window open" is its ready line,
    # which the stop-signal tests and a user wait for); the file must change neither.
    logging.getLogger("scc_desktop").setLevel(logging.INFO)
    file_log = logs.to_file()
    try:
        logging.getLogger("scc_desktop.gui").info("window open")
        logging.getLogger("sync.test").info("SELECT 1")
    finally:
        file_log.close()
    assert terminal.filters == []   # put back
    err = capsys.readouterr().err
    assert "window open" in err and "SELECT 1" not in err
    assert "SELECT 1" in file_log.path.read_text(encoding="utf-8")
