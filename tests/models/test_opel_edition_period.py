"""An OPEL table's edition names its own period; used after it, every place that names the edition says
so (a room still scoring on the 2024-26 tables in December 2026 must see a newer edition may apply)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from models.rules import opel_table
from models.rules.opel_table import edition_words, load_shipped, period_note, shipped_table_path

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]
ENDED = "its period (2024/25 to 2025/26) ended 31/03/2026: check for a newer edition"


@pytest.mark.parametrize("pillar", ["acute", "community", "mental_health", "nhs111"])
def test_each_shipped_table_names_its_period(pillar):
    applies = load_shipped(pillar).header.applies
    assert (applies.period, applies.valid_from, applies.valid_until) == (
        "2024/25 to 2025/26", dt.date(2024, 4, 1), dt.date(2026, 3, 31))


@pytest.mark.parametrize(("on", "said"), [
    (dt.date(2024, 3, 31), "its period (2024/25 to 2025/26) starts 01/04/2024"),
    (dt.date(2024, 4, 1), None),
    (dt.date(2026, 3, 31), None),            # its last day is within it
    (dt.date(2026, 4, 1), ENDED),
    (dt.date(2026, 12, 5), ENDED),
])
def test_out_of_period_at_each_edge(on, said):
    assert load_shipped("acute").header.out_of_period(on) == said
    assert period_note("2024-26", on) == said


def test_the_words_every_place_uses():
    assert edition_words("2024-26", False, dt.date(2026, 12, 5)) == f"OPEL table 2024-26 — UNVERIFIED TABLE — {ENDED}"
    assert edition_words("2024-26", False, dt.date(2025, 12, 5)) == "OPEL table 2024-26 — UNVERIFIED TABLE"
    assert edition_words("2027-29", True, dt.date(2026, 12, 5)) == "OPEL table 2027-29"   # not held here: no guess


def _table_with(tmp_path: Path, lines: str) -> Path:
    text = shipped_table_path("acute").read_text(encoding="utf-8")
    start = text.index("period = ")
    end = text.index("pillar = ")
    path = tmp_path / "acute.toml"
    path.write_text(text[:start] + lines + text[end:], encoding="utf-8")
    return path


def test_a_table_without_a_period_is_as_before_and_a_bad_period_is_named(tmp_path):
    plain = opel_table.load_table(_table_with(tmp_path, ""))
    assert plain.header.out_of_period(dt.date(2030, 1, 1)) is None
    bad = _table_with(tmp_path, 'valid_from = 2026-04-01\nvalid_until = 2025-03-31\n')
    problems = [f"{p.key}: {p.reason}" for p in opel_table.check_table_file(bad)]
    assert problems == ["[table]: valid_from 2026-04-01 is after valid_until 2025-03-31"]
    timed = _table_with(tmp_path, 'valid_until = 2026-03-31T12:00:00\n')
    assert [p.reason for p in opel_table.check_table_file(timed)] == [
        "field 'valid_until' must be a day (YYYY-MM-DD) without a time, got 2026-03-31 12:00:00"]


def test_the_command_line_says_it(tmp_path):
    run = [sys.executable, "-m", "scc_desktop", "opel"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    checked = subprocess.run([*run, "check-table", str(shipped_table_path("acute"))], capture_output=True,
                             text=True, timeout=60, cwd=ROOT, env=env)
    assert checked.returncode == 0 and checked.stdout.rstrip().endswith(f"; {ENDED}")   # valid, still said
    shown = subprocess.run([*run, "show", "--pillar", "acute"], capture_output=True, text=True, timeout=60,
                           cwd=ROOT, env=env)
    assert ("Period: 2024/25 to 2025/26 (01/04/2024 to 31/03/2026)  *** period ended 31/03/2026: check for a newer "
            "edition ***") in shown.stdout
    rollup = subprocess.run([*run, "check-table", str(ROOT / "resources" / "opel" / "system.toml")],
                            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert rollup.returncode == 0 and rollup.stdout.rstrip().endswith(f"; {ENDED}")
    scored = subprocess.run([*run, "score", "--pillar", "acute"], input='{"mean_handover_minutes": 30}',
                            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert json.loads(scored.stdout)["edition_period"] == ENDED


def test_only_the_opel_files_take_a_period_under_table(tmp_path):
    """Other framework files have periods per entry (an ambition's): one put under their [table] would be
    misplaced, and is refused as unknown rather than read as the file's own (found in review)."""
    from models.rules import ambulance_standards, opel_rollup

    text = resources_text("ambulance/standards.toml")
    path = tmp_path / "standards.toml"
    path.write_text(text.replace("verified = false\n", "verified = false\nvalid_until = 2020-01-01\n", 1),
                    encoding="utf-8")
    with pytest.raises(Exception, match="unknown field 'valid_until'"):
        ambulance_standards.load_standards(path)
    assert opel_rollup.load_system().header.out_of_period(dt.date(2026, 12, 5)) == ENDED


def resources_text(name: str) -> str:
    return (ROOT / "resources" / name).read_text(encoding="utf-8")
