"""``hub serve --tables DIR``: the room's own OPEL tables, never a silent fall-back to the bundled ones."""

from __future__ import annotations

import shutil

import pytest

from models.rules.opel_table import shipped_table_path
from models.rules.tabledata import TableError
from scc_desktop import cli
from sync.hub.core import Hub, HubConfig


def _hub(tmp_path, folder):
    return Hub(HubConfig(db_url=f"sqlite:///{tmp_path / 'hub.db'}", tables_dir=folder))


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(TableError, match="OPEL tables folder not found"):
        _hub(tmp_path, tmp_path / "nope")


def test_a_misnamed_table_is_refused_by_name(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    shutil.copy(shipped_table_path("acute"), folder / "Acute-2026.toml")
    with pytest.raises(TableError) as caught:
        _hub(tmp_path, folder)
    text = str(caught.value)
    assert "Acute-2026.toml" in text and "acute.toml" in text and "holds none of" in text


def test_a_folder_with_one_pillar_uses_it_and_the_bundled_rest(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    text = shipped_table_path("acute").read_text(encoding="utf-8")
    (folder / "acute.toml").write_text(text.replace('edition = "2024-26"', 'edition = "room-2026"', 1),
                                       encoding="utf-8")
    hub = _hub(tmp_path, folder)
    assert hub.opel.tables["acute"].edition == "room-2026"
    assert hub.opel.tables["community"].edition == "2024-26"


def test_the_command_says_what_is_wrong_in_one_message(tmp_path, capsys):
    code = cli.main(["hub", "serve", "--db", f"sqlite:///{tmp_path / 'hub.db'}", "--port", "0",
                     "--tables", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code != 0 and "OPEL tables folder not found" in err and "Traceback" not in err
