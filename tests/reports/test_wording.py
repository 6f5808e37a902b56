"""The reports' and the report command's words: counts agree with their nouns ("1 level worse", "4 pages",
never "level(s)"), and the system's score is printed as the app prints it ("ICS score 22.7%")."""

from __future__ import annotations

import re
from datetime import timedelta

from models.reports import words
from models.service import reports
from models.service.system_picture import system_picture
from scc_desktop.cli import main
from tests.reports.world import NOW, build_world
from tests.ui.feeds import Feed


def _texts(report) -> list[str]:
    out = []
    for section in report.sections:
        for part in section.parts:
            if hasattr(part, "text"):
                out.append(part.text)
            elif hasattr(part, "rows"):
                out += [str(v) for row in part.rows for v in row if isinstance(v, str)]
    return out + list(report.notes)


def test_counts_agree_with_their_nouns():
    assert words.count(1, "page") == "1 page"
    assert words.count(4, "page") == "4 pages"
    assert words.count(0, "call") == "0 calls"
    assert words.count(2, "ambulance") == "2 ambulances"


def test_no_report_says_s_in_brackets(world):
    _path, store = world
    found = [(name, t) for name in ("brief", "handover", "sitrep", "board", "bc-pack")
             for t in _texts(reports.build(store, name, NOW)) if "(s)" in t]
    assert not found, found


def test_the_command_says_pages_and_files_in_words(world, tmp_path, cli_env, capsys):
    path, _store = world
    assert main(["report", "brief", "--path", str(path), "--out", str(tmp_path), "--at", "2025-07-14T10:00"]) == 0
    out = capsys.readouterr().out
    assert "(s)" not in out, out
    assert re.search(r"\(\d+ pages?\)", out) and re.search(r"\d+ CSV files?;", out), out


def test_the_system_score_is_the_apps_one_decimal_with_its_unit(tmp_path):
    """The ICS score is a share of its range (the 2024-26 roll-up combines each pillar's score as a
    percentage of its table's range: docs/opel-tables.md), shown "ICS score 22.7%" in the app."""
    _path, store = build_world(tmp_path)
    with store:
        f = Feed(first_seq=900_000)
        for scope, pillar, total in (("system", "system", 22.68), ("pillar", "acute", 10.97)):
            f.add("opel_assessment", {"scope": scope, "org_code": None, "pillar": pillar, "edition": "test",
                                      "assessed_at": (NOW - timedelta(minutes=5)).isoformat(), "verified": False,
                                      "level": 2, "at_least_level": None, "complete": True, "total": total,
                                      "parameters": []})
        f.apply(store)
        system = system_picture(store, NOW).system
        assert system.score == 22.68 and system.unit == "%"
        for name in ("brief", "handover", "bc-pack"):
            report = reports.build(store, name, NOW)
            texts = _texts(report)
            assert any("ICS score 22.7%" in t for t in texts), (name, [t for t in texts if "score" in t])
            assert not any(re.search(r"score 22\.68|score 22\.7(?!%)", t) for t in texts), name
            rows = {r[0]: r for r in report.table("levels").rows}
            assert rows["System"][2] == "22.7%" and rows["Acute"][2] == "11.0", (rows["System"], rows["Acute"])
