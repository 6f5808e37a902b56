"""A closed case with a conflict nobody has settled needs the room wherever the room looks, not only on the
transfers tab: the board, the morning brief, the handover pack, the business-continuity pack, the system
picture's tile and the command line all read one rule (``rq.transfer_board``), at real sizes (a 40-provider
world, 500 open cases and a year's 3,000 closed ones).  Before session 24 the rule lived in the transfers
view: a departed patient's case an offline desktop then cancelled was first on the tab and on no report, and
the wall said "none waiting past its threshold".  Which fields clash is the fold's data (the row's
``conflict_fields``), not words read back from the history."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from models.queries import records as rq
from models.records import transfers
from models.replica.orm import Transfer
from models.service import reports
from models.service.system_picture import system_picture
from tests.reports.world import NOW, build_world
from tests.ui.records.seed import DESK_C, RecordFeed
from ui.records.transfers_view import conflict_text
from ui.system_texts import tiles

OPEN, CLOSED = 500, 3000
# Seeding a year of cases through the feed takes about 50 s on two shared cores.
pytestmark = pytest.mark.timeout(400)


@pytest.fixture(scope="module")
def busy(tmp_path_factory):
    _path, store = build_world(tmp_path_factory.mktemp("busy-transfers"))
    f = RecordFeed(first_seq=200_000)
    for i in range(OPEN):
        # Requested 3 to 8 hours ago: well inside their thresholds or past them, none breached by the conflict.
        f.case(f"T-{i:04}", "inter_hospital", ("emergency", "urgent", "routine")[i % 3], "RAA", "RBB",
               "Level 3 critical care bed", NOW - timedelta(minutes=5 + i // 2), "Room support")
    for i in range(CLOSED):
        at = NOW - timedelta(days=1 + i // 9, minutes=i)
        f.case(f"Y-{i:05}", "inter_hospital", "urgent", "RAA", "RBB", "Vascular surgery", at, "Room support",
               [("accepted", at + timedelta(minutes=30)), ("departed", at + timedelta(minutes=60)),
                ("arrived", at + timedelta(minutes=90))])
    # Desk B accepts and the patient departs; desk C, offline, cancels it from "requested" without seeing that.
    uid = f.case("T-9999", "inter_hospital", "urgent", "RBB", "RAA", "Neurosurgical opinion and bed",
                 NOW - timedelta(minutes=90), "Room support",
                 [("accepted", NOW - timedelta(minutes=60)), ("departed", NOW - timedelta(minutes=40))])
    f.event(uid, "status", "cancelled", NOW - timedelta(minutes=30), old="requested", device=DESK_C,
            author="Room lead (desk C)")
    f.apply(store)
    yield store, uid
    store.close()


def test_the_one_rule_puts_the_departed_then_cancelled_case_first(busy):
    store, uid = busy
    with store.session() as s:
        started = time.perf_counter()
        board = rq.transfer_board(s, NOW)
        took = time.perf_counter() - started
    print(f"transfer_board, {OPEN + 3 + 1} open and {CLOSED + 1} closed: {took:.3f} s")
    first = board.attention[0].transfer
    assert (first.local_ref, first.status, first.conflict_fields) == ("T-9999", "departed", ("status",))
    assert board.attention[0].risk.level == "closed"
    assert board.open_count == OPEN + 3 and len(board.attention) == OPEN + 3 + 1 and not board.closed
    assert [x.transfer.local_ref for x in board.in_conflict] == ["T-9999"]
    assert board.closed_count == CLOSED + 0   # the conflicted one is not among the "other" closed cases
    assert took < 3.0, took


def test_the_brief_handover_and_bc_pack_list_it_first(busy):
    store, _uid = busy
    brief = reports.build(store, "brief", NOW)
    late = brief.table("transfers_past_threshold")
    assert late.title == "Transfers past their threshold or with a conflict to settle"
    refs = [row[0] for row in late.rows]
    assert refs[0] == "T-9999" and 0 in late.warn_rows
    first = dict(zip(late.headers, late.rows[0]))
    assert first["Stage"] == "departed" and first["Risk"] == "closed; CONFLICT: stage"
    said = [p.text for s in brief.sections if s.title == "Transfers" for p in s.parts if hasattr(p, "text")]
    assert said == [f"{OPEN + 3:,} transfers open in all; 1 closed case with a conflict to settle (listed first)."]
    for name in ("handover", "bc-pack"):
        report = reports.build(store, name, NOW)
        table = report.table("open_transfers")
        first = dict(zip(table.headers, table.rows[0]))
        assert first["Ref"] == "T-9999" and "CONFLICT: stage" in first["Risk"] and 0 in table.warn_rows
        assert len(table.rows) == OPEN + 3 + 1
    watch = reports.build(store, "handover", NOW).table("watch_points")
    assert ("Transfer conflict to settle", "T-9999 (departed): stage changed on two desktops without seeing "
            "each other") in [row[:2] for row in watch.rows]


def test_the_wall_says_a_conflict_is_to_settle(busy):
    store, _uid = busy
    page = system_picture(store, NOW)
    assert page.transfers.conflicts == ("T-9999",)
    tile = tiles(page)["transfers"]
    assert tile.lines[0] == "⚠ CONFLICT to settle: T-9999" and tile.colours is not None


def test_the_command_line_lists_it_first(busy, capsys, monkeypatch):
    from scc_desktop.commands import records as cli
    from tests.reports.world import PASSPHRASE

    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    store, _uid = busy

    class Args:
        at, thresholds, all = NOW.isoformat(), None, False
        path = store.path
    cli._transfers(Args())
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["closed", "T-9999"] and lines[1].endswith("CONFLICT: status")


def test_the_panel_reads_the_fields_from_the_fold_not_the_words(busy):
    store, uid = busy
    with store.session() as s:
        history = rq.transfer_history(s, uid)
        case = rq.TransferCase.of(s.get(Transfer, uid))
    assert history.clashing_fields == history.open_fields == ("status",)
    # The history's words are for people: with every sentence reworded, the panel still names the field.
    reworded = rq.TransferHistory([rq.HistoryLine(h.at, h.author, f"({h.what})", h.in_conflict, h.field)
                                   for h in history.lines], history.conflicts, history.clashing_fields,
                                  history.open_conflicts)
    heading, lines = conflict_text(case, reworded)
    assert "on status" in heading and "Shown now: status departed" in lines
    assert [c.field for c in history.open_conflicts] == ["status"] and history.open_conflicts[0].step_not_taken


def test_the_fold_says_which_fields_clash():
    def ev(uid, at, device, field, old, new):
        return transfers.Event(uid, f"2026-01-12T{at}:00.000000+00:00", "x", device, field, old, new, ())
    created = ev("0", "08:00", "A", transfers.CREATED, None, '{"status": "requested", "to_code": "RBB"}')
    folded = transfers.fold([created, ev("1", "09:00", "A", "to_code", "RBB", "RCC"),
                             ev("2", "09:05", "B", "to_code", "RBB", "RDD"),
                             ev("3", "09:10", "A", "priority", None, "urgent"),
                             ev("4", "09:20", "A", "status", "requested", "cancelled"),
                             ev("5", "09:30", "B", "status", "requested", "accepted")])
    assert folded.open_fields == ("to_code", "status")   # FIELDS order
    assert transfers.conflict_columns(folded) == {"has_conflict": True, "conflict_fields": "to_code,status"}
