"""Data files kept parsed between runs: the same data as parsing, never a stale or damaged copy."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from models.rules import parsed_tables, tabledata
from models.rules.catalogue import load_catalogue
from models.rules.opel_table import load_shipped

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@pytest.fixture
def kept(tmp_path):
    folder = tmp_path / "tables"
    tabledata.keep_parsed_in(folder)
    yield folder
    tabledata.keep_parsed_in(None)


def test_every_shipped_file_reads_back_exactly_as_parsed(kept):
    files = sorted(RESOURCES.rglob("*.toml"))
    assert len(files) >= 8
    tabledata.keep_parsed_in(None)
    parsed = {f: tabledata.read_toml(f) for f in files}
    tabledata.keep_parsed_in(kept)
    for f in files:
        assert tabledata.read_toml(f) == parsed[f]        # parsed, and kept
    assert len(list(kept.glob("*.json"))) == len({f.read_bytes() for f in files})
    for f in files:
        assert tabledata.read_toml(f) == parsed[f]        # read back from the kept copy
    # The loaders built on it give the same tables either way.
    assert load_catalogue() == load_catalogue()
    assert load_shipped("acute") == load_shipped("acute")


def test_dates_and_times_come_back_as_dates_and_times(kept, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('[table]\nfrom = 2026-04-01\nat = 2026-04-01T09:30:00+01:00\nlocal = 07:15:00\n'
                 'n = 1.5\ninf = inf\nlist = [1, "a", 2026-01-02]\n', encoding="utf-8")
    first = tabledata.read_toml(f)
    again = tabledata.read_toml(f)
    assert again == first
    assert type(again["table"]["from"]) is dt.date and type(again["table"]["at"]) is dt.datetime
    assert again["table"]["at"].utcoffset() == dt.timedelta(hours=1)
    assert type(again["table"]["local"]) is dt.time and again["table"]["list"][2] == dt.date(2026, 1, 2)


def test_an_edited_file_is_parsed_again_not_read_from_the_kept_copy(kept, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text("a = 1\n", encoding="utf-8")
    assert tabledata.read_toml(f) == {"a": 1}
    stat = f.stat()
    f.write_text("a = 2\n", encoding="utf-8")
    os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # same size, same time: only the bytes differ
    assert tabledata.read_toml(f) == {"a": 2}


def test_a_damaged_kept_copy_or_an_unwritable_folder_falls_back_to_parsing(kept, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text("a = 1\n", encoding="utf-8")
    tabledata.read_toml(f)
    (copy,) = kept.glob("*.json")
    copy.write_text('{"a": ', encoding="utf-8")
    assert tabledata.read_toml(f) == {"a": 1}
    copy.write_text('{"a": {"$toml": "nonsense", "v": 1}}', encoding="utf-8")
    assert tabledata.read_toml(f) == {"a": 1}
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("", encoding="utf-8")
    tabledata.keep_parsed_in(blocked / "tables")
    assert tabledata.read_toml(f) == {"a": 1}


def test_bad_toml_is_still_a_table_error_naming_the_file(kept, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("a = [1,\n", encoding="utf-8")
    with pytest.raises(tabledata.TableError, match="bad.toml.*not valid TOML"):
        tabledata.read_toml(f)
    f.write_bytes(b"a = '\xff'\n")
    with pytest.raises(tabledata.TableError, match="not valid TOML"):
        tabledata.read_toml(f)
    assert not list(kept.glob("*.json")) if kept.exists() else True


def test_a_file_using_the_tag_key_itself_is_parsed_each_time_not_kept(kept, tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('[x]\n"$toml" = "date"\nv = "2026-01-01"\n', encoding="utf-8")
    assert tabledata.read_toml(f) == {"x": {"$toml": "date", "v": "2026-01-01"}}
    assert not kept.exists() or not list(kept.glob("*.json"))
    assert tabledata.read_toml(f) == {"x": {"$toml": "date", "v": "2026-01-01"}}
    assert parsed_tables.read(kept, f.read_bytes()) is None
