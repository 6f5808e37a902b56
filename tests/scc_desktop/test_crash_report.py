"""Crash reports (scc_desktop/crash_report.py): where it failed, on what; never the room's data.

Real exceptions raised through real frames, real files in a temporary folder, a real thread.
"""

from __future__ import annotations

import os
import stat
import sys
import threading

from models.version import VERSION
from scc_desktop import crash_report
from scc_desktop.crash_report import Guard, describe, write

# What a record could hold: a patient's name and NHS number in a decision's text.
PLANTED = "Mrs Ada Planted-Record, NHS 943 476 5919, moved to side room 4"


def _save_decision(text: str) -> None:
    record = {"text": text, "author": "Room lead"}   # a local holding the record's contents
    raise ValueError(f"decision text: too long ({record['text']})")


def _caught(fn, *args):
    try:
        fn(*args)
    except BaseException:
        return sys.exc_info()
    raise AssertionError("did not raise")


def test_report_says_where_and_on_what_but_not_the_record():
    crash = describe(*_caught(_save_decision, PLANTED))
    assert PLANTED not in crash.text
    assert "Ada" not in crash.text and "943 476 5919" not in crash.text
    assert "builtins.ValueError: (message of" in crash.text
    assert "in _save_decision" in crash.text and "test_crash_report.py" in crash.text
    assert f"SCC Desktop {VERSION}" in crash.text and "Python 3." in crash.text and "Platform " in crash.text
    assert crash.kind == "ValueError"


def test_a_chained_error_withholds_both_messages():
    def wrap():
        try:
            _save_decision(PLANTED)
        except ValueError as exc:
            raise RuntimeError(f"could not save {PLANTED}") from exc
    crash = describe(*_caught(wrap))
    assert PLANTED not in crash.text
    assert crash.text.index("ValueError") < crash.text.index("RuntimeError")
    assert crash.kind == "RuntimeError"


def test_an_os_error_keeps_the_systems_words_not_the_file_name(tmp_path):
    secret = tmp_path / f"{PLANTED}.csv"
    crash = describe(*_caught(open, secret))
    assert "ENOENT: No such file or directory" in crash.text
    assert PLANTED not in crash.text


def test_paths_carry_no_home_folder(tmp_path):
    crash = describe(*_caught(_save_decision, "x"))
    assert str(tmp_path.parent) not in crash.text
    assert os.path.expanduser("~") not in crash.text


def test_the_same_failure_has_the_same_signature_and_another_place_another():
    first, again = describe(*_caught(_save_decision, "a")), describe(*_caught(_save_decision, "b"))
    elsewhere = describe(*_caught(int, "not a number"))
    assert first.signature == again.signature != elsewhere.signature


def test_report_file_is_private_and_old_ones_are_pruned(tmp_path):
    crash = describe(*_caught(_save_decision, PLANTED))
    paths = [write(crash, tmp_path) for _ in range(crash_report.KEEP + 5)]
    assert stat.S_IMODE(paths[-1].stat().st_mode) == 0o600 or sys.platform == "win32"
    assert paths[-1].read_text(encoding="utf-8") == crash.text
    kept = sorted(tmp_path.glob("crash-*.txt"))
    assert len(kept) == crash_report.KEEP and kept[-1] == paths[-1]


def test_guard_reports_an_error_in_a_thread_once_per_place_and_restores_the_hooks(tmp_path):
    before = (sys.excepthook, threading.excepthook)
    shown = []
    guard = Guard(lambda kind, details, path: shown.append((kind, details, path)), into=tmp_path)
    try:
        for _ in range(2):
            worker = threading.Thread(target=_save_decision, args=(PLANTED,), name="sync-worker")
            worker.start()
            worker.join(10)
    finally:
        guard.close()
    assert (sys.excepthook, threading.excepthook) == before
    reports = list(tmp_path.glob("crash-*.txt"))
    assert len(reports) == 1                      # the same failure twice: one report
    assert [kind for kind, _, _ in shown] == ["ValueError", "ValueError"]   # but the user is told each time
    assert shown[0][2] == reports[0] and shown[1][2] is None
    text = reports[0].read_text(encoding="utf-8")
    assert "Thread: sync-worker" in text and PLANTED not in text


def test_guard_leaves_ctrl_c_and_thread_exit_alone(tmp_path):
    seen = []
    guard = Guard(lambda *a: seen.append(a), into=tmp_path)
    try:
        worker = threading.Thread(target=sys.exit)
        worker.start()
        worker.join(10)
    finally:
        guard.close()
    assert seen == [] and not list(tmp_path.glob("*"))


def test_guard_that_cannot_write_still_tells_the_user(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the reports' folder should be")
    shown = []
    guard = Guard(lambda kind, details, path: shown.append(path), into=blocked)
    try:
        path = guard.handle(*_caught(_save_decision, PLANTED))
    finally:
        guard.close()
    assert path is None and shown == [None]
