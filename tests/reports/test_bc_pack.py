"""The business-continuity pack on the seeded 40-provider replica: who to call (cross-checked with
the rota and directory reads), the picture with each provider's data age, open transfers and
actions (as the door reads them), the OPEL action cards; byte-identical with --at; built with no
hub and no network (a socket opened during the build fails the test)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.queries import opel_latest
from models.queries import records as rq
from models.records import actions_due
from models.records.contacts import on_call_at
from models.rules.action_cards import load_cards
from models.service import contacts as contacts_door
from models.service import reports, rota
from scc_desktop.cli import main
from tests.reports.test_files import pages_text, pdftotext
from tests.reports.world import NOW


@pytest.fixture(scope="module")
def pack(world):
    _path, store = world
    return store, reports.build(store, "bc-pack", NOW)


def column(table, header):
    i = table.headers.index(header)
    return [row[i] for row in table.rows]


def test_who_to_call_is_the_rota_and_the_directory(pack):
    store, report = pack
    with store.session() as s, s.begin():
        now = on_call_at(s, NOW)
    assert [(r[1], r[2]) for r in report.table("on_call_now").rows] == [
        (o.contact.name, o.contact.phone) for o in now] == [("Dr Priya Raman", "07700 900101")]
    page = rota.rota_page(store, NOW, NOW + timedelta(hours=24), NOW + timedelta(hours=24))
    day = report.table("on_call_24h")
    assert [(r[1], r[2], r[4], r[5]) for r in day.rows] == [
        (x.contact.name, x.contact.phone, x.starts_at, x.ends_at) for x in page.shifts]
    assert column(day, "Name") == ["Dr Priya Raman", "Tom Okafor"]
    # Tom's shift ends 23 hours on: the last hour of the day ahead has nobody, and the print says so in words.
    gaps = report.table("rota_gaps_24h")
    assert gaps.rows == (("Director on-call", "NOBODY ON CALL", NOW + timedelta(hours=23), NOW + timedelta(hours=24)),)
    everyone = contacts_door.contacts_page(store, NOW).index.search("", limit=None)
    directory = report.table("directory")
    assert sorted(zip(column(directory, "Name"), column(directory, "Phone"))) == sorted(
        (c.name, c.phone or "—") for c in everyone)
    assert directory.headers[:3] == ("Name", "Role", "Phone")
    assert report.sections[0].title == "Who to call"   # the first thing a room without IT reads


def test_the_picture_has_every_provider_with_its_data_age(pack):
    store, report = pack
    with store.reading() as db:
        providers = opel_latest.latest_opel(db, "provider")
        system = opel_latest.latest_opel(db, "system")[0]
    table = report.table("providers")
    assert len(table.rows) == len(providers) + 1 == 40   # 39 scored and the ambulance service's REAP
    by_name = {row[0]: row for row in table.rows}
    for p in providers:
        row = by_name[p.name.removesuffix(" NHS Foundation Trust").removesuffix(" NHS Trust")]
        assert row[2] == f"OPEL {p.shown_level}" and row[4] == p.assessed_at
        minutes = int((NOW - p.assessed_at).total_seconds() // 60)
        assert row[5] == f"{minutes} min"   # the seeded assessments are 11-50 minutes old: none stale
    assert report.table("levels").rows[0][:2] == ("System", f"OPEL {system.shown_level}")
    assert not any(t.key == "providers_by_level" for t in report.tables())   # no colour-only chart


def test_stale_data_is_said_in_words(world):
    _path, store = world
    later = reports.build(store, "bc-pack", NOW + timedelta(hours=3))
    ages = column(later.table("providers"), "Data age")
    assert all(a.startswith("STALE: ") for a in ages), ages
    assert later.table("providers").warn_rows == frozenset(range(40))


def test_open_transfers_and_actions_are_the_doors(pack):
    store, report = pack
    with store.session() as s, s.begin():
        board = rq.transfer_board(s, NOW).lines
        actions = actions_due.open_actions(s, NOW)
    assert column(report.table("open_transfers"), "Ref") == [x.transfer.local_ref for x in board] == [
        "T-2611", "T-2613", "T-2615"]
    assert [(r[0], r[1]) for r in report.table("open_actions").rows] == [(a.description, a.owner) for a in actions]
    assert len(actions) == 2


def test_the_action_cards_for_every_level(pack):
    _store, report = pack
    cards = load_cards()
    for level in (1, 2, 3, 4):
        table = report.table(f"cards_opel_{level}")
        assert column(table, "Action") == [c.title for c in cards.for_level(level)]
        assert all(who for who in column(table, "Who"))
        assert table.note.startswith(f"At OPEL {level} as the pack was made: ")
    section = next(s for s in report.sections if s.title == "OPEL action cards")
    said = " ".join(p.text for p in section.parts if hasattr(p, "text"))
    assert "UNVERIFIED" in said and cards.header.edition in said
    assert report.table("cards_opel_3").title == "OPEL 3, major pressure: Major pressures are compromising flow."


def test_the_pack_says_it_is_a_snapshot(pack):
    _store, report = pack
    assert "snapshot" in report.title
    assert report.notes[0].startswith("A snapshot made Mon 14 Jul 2025 10:00 BST")


def test_the_command_builds_the_same_pack_twice_with_no_network(world, tmp_path, cli_env, capsys, no_network,
                                                               monkeypatch):
    path, _store = world
    # An unreachable hub configured, and a hub URL in the environment: the pack asks neither.
    monkeypatch.setenv("SCC_HUB_URL", "https://scc-hub.invalid")
    for out in ("one", "two"):
        code = main(["report", "bc-pack", "--path", str(path), "--out", str(tmp_path / out),
                     "--at", "14/07/2025 10:00"])
        assert code == 0, capsys.readouterr().err
    one = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert "bc-pack-2025-07-14-1000.pdf" in one and "bc-pack-2025-07-14-1000-on_call_now.csv" in one
    for name in one:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    assert no_network == []
    assert "Wrote the bc-pack as at Mon 14 Jul 2025 10:00 BST" in capsys.readouterr().out


@pdftotext
def test_every_page_says_when_it_was_made_and_that_it_is_a_snapshot(world, tmp_path):
    _path, store = world
    written = reports.make(store, "bc-pack", tmp_path, NOW)
    pages = pages_text(written.pdf)
    assert len(pages) == written.pdf_pages >= 3
    for number, text in enumerate(pages, start=1):
        assert "a printed snapshot, not live" in text
        assert "Generated Mon 14 Jul 2025 10:00 BST" in text
        assert f"page {number} of {len(pages)}" in text
    first = pages[0]
    assert "Dr Priya Raman" in first and "07700 900101" in first   # the number to ring, on the first page
    assert "NOBODY ON CALL" in "".join(pages)
