"""OPEL action cards: the bundled file loads and is marked unverified; a bad file reports everything."""

from __future__ import annotations

import pytest

from models.rules import action_cards
from models.rules.tabledata import TableError
from scc_desktop import cli


def test_bundled_cards_cover_every_level_and_are_unverified():
    cards = action_cards.load_cards()
    assert cards.header.verified is False and cards.header.marker == "UNVERIFIED TABLE"
    assert "own words" in cards.header.provenance
    for level in action_cards.LEVELS:
        assert cards.for_level(level), level
    system_4 = [c.id for c in cards.for_level(4, "system")]
    provider_4 = [c.id for c in cards.for_level(4, "provider")]
    assert "opel4-mutual-aid" in system_4 and "opel4-mutual-aid" not in provider_4
    assert cards.by_id("opel3-system-call").level == 3
    with pytest.raises(ValueError, match="1 to 4"):
        cards.for_level(5)


BAD = '''
[table]
edition = "x"
source = "y"
provenance = "z"
verified = false
notes = ""

[[card]]
id = "Bad Id"
level = 1
title = "ok"

[[card]]
id = "twice"
level = 5
title = ""
applies_to = ["world"]

[[card]]
id = "twice"
level = 2
title = "fine"
colour = "red"
'''


def test_a_bad_card_file_reports_every_problem(tmp_path, capsys):
    path = tmp_path / "cards.toml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(TableError) as err:
        action_cards.load_cards(path)
    text = str(err.value)
    for expected in ("lower-case letters", "level must be 1, 2, 3 or 4", "title must not be empty",
                     "applies_to has 'world'", "a second card with id 'twice'", "unknown field 'colour'",
                     "level 3: no card", "level 4: no card"):
        assert expected in text, expected
    assert cli.main(["records", "action-cards", "--file", str(path)]) == 2
    assert "problem(s)" in capsys.readouterr().err
    assert cli.main(["records", "action-cards", "--level", "4", "--scope", "system"]) == 0
    out = capsys.readouterr().out
    assert "UNVERIFIED TABLE" in out and "Ask for help beyond the system" in out
