"""Exports hold patient-identifiable decisions and staff phone numbers: the owner's only, whatever the umask."""

from __future__ import annotations

import os
import stat
import sys
from contextlib import contextmanager
from datetime import date

import pytest

from models.records.export.records import export_records
from scc_desktop import cli
from sync import authoring
from tests.records.conftest import write_decisions

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX mode bits")


@contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _modes(folder):
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}


def test_a_records_export_is_readable_by_its_owner_only(store, tmp_path):
    write_decisions(store, 3)
    with _umask(0o022):
        result = export_records(store, date(2025, 3, 30), date(2025, 3, 30), tmp_path / "out",
                                icb="Test ICB", user="tester", host="desk-1")
    modes = _modes(result.out_dir)
    assert len(modes) == 10 and set(modes.values()) == {0o600}, modes   # signature.json, key_history.json too
    assert stat.S_IMODE(result.out_dir.stat().st_mode) == 0o700


def test_a_part_file_left_by_a_failed_export_is_not_reused_with_its_mode_or_followed(store, tmp_path):
    """A review found: a NAME.part left behind kept its own mode (O_TRUNC keeps it), and a link planted
    under that name was followed, writing the decisions wherever it pointed."""
    write_decisions(store, 3)
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    (out / "decisions.csv.part").write_text("old")
    os.chmod(out / "decisions.csv.part", 0o644)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("keep")
    (out / "decisions.json.part").symlink_to(elsewhere)
    result = export_records(store, date(2025, 3, 30), date(2025, 3, 30), out, icb="Test ICB", user="tester",
                            host="desk-1", force=True)
    assert set(_modes(result.out_dir).values()) == {0o600}
    assert elsewhere.read_text() == "keep"
    assert not any(p.name.endswith(".part") for p in out.iterdir())


def test_a_contacts_export_is_readable_by_its_owner_only(store, store_path, tmp_path, cli_env):
    authoring.upsert_contact(store, author="A", name="Jo Bloggs", organisation="Trust One",
                             phone="01234 567890")
    out = tmp_path / "contacts.csv"
    with _umask(0o022):
        assert cli.main(["contacts", "export", "--format", "csv", "--out", str(out),
                         "--path", str(store_path)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_the_folders_an_export_makes_are_the_owners_only_and_a_shared_one_is_noted(store, tmp_path):
    """Each missing folder above the export's was made with the umask's 0755 (``mkdir(parents=True)`` gives
    ``mode`` to the last one only); a folder there already keeps its mode, and one all may read is noted."""
    write_decisions(store, 3)
    out = tmp_path / "records" / "2025" / "march"
    with _umask(0o022):
        made = export_records(store, date(2025, 3, 30), date(2025, 3, 30), out, icb="Test ICB", user="tester",
                              host="desk-1")
    for folder in (tmp_path / "records", tmp_path / "records" / "2025", out):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert not [n for n in made.notes if "every user" in n]
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    with _umask(0o022):
        noted = export_records(store, date(2025, 3, 30), date(2025, 3, 30), shared, icb="Test ICB", user="tester",
                               host="desk-1")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755 and set(_modes(shared).values()) == {0o600}
    (note,) = [n for n in noted.notes if "every user" in n]
    assert str(shared) in note and "0755" in note
