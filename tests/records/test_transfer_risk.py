"""Transfer waits against thresholds: exact edges, stages, fallbacks, risk order, real rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models.rules import transfer_risk
from models.replica.orm import Transfer
from models.rules.tabledata import TableError
from scc_desktop import cli
from sync import authoring

NOW = datetime(2025, 3, 30, 12, 0, tzinfo=timezone.utc)


@dataclass
class Case:
    local_ref: str
    kind: str = "inter_hospital"
    priority: str = "emergency"
    status: str = "requested"
    waited: timedelta = timedelta(0)
    uuid: str = ""

    @property
    def requested_at(self):
        return NOW - self.waited

    def __post_init__(self):
        self.uuid = self.uuid or f"u-{self.local_ref}"


def _level(**kw):
    r = transfer_risk.assess(Case("T", **kw), NOW)
    return r.level, r.escalate


@pytest.mark.parametrize("waited,expected", [
    (timedelta(minutes=22, seconds=29), ("within", False)),
    (timedelta(minutes=22, seconds=30), ("approaching", False)),  # 0.75 x 30 min, inclusive
    (timedelta(minutes=30), ("approaching", False)),  # exactly on the threshold: not yet a breach
    (timedelta(minutes=30, microseconds=1), ("breached", True)),
])
def test_breach_edges_for_an_emergency_inter_hospital_request(waited, expected):
    assert _level(waited=waited) == expected


def test_the_stage_picks_the_threshold_and_closed_cases_are_not_waiting():
    accepted = transfer_risk.assess(Case("T", status="accepted", waited=timedelta(minutes=45)), NOW)
    assert (accepted.stage, accepted.threshold_minutes, accepted.level) == ("awaiting_departure", 60, "approaching")
    assert transfer_risk.assess(Case("T", status="accepted", waited=timedelta(minutes=61)), NOW).escalate
    for status in ("departed", "arrived", "cancelled"):
        r = transfer_risk.assess(Case("T", status=status, waited=timedelta(days=3)), NOW)
        assert (r.level, r.escalate, r.wait_minutes) == ("closed", False, None)


def test_threshold_rows_fall_back_from_priority_to_kind_to_default():
    table = transfer_risk.load_thresholds()
    assert table.for_case("intra_hospital", "routine").rule == "intra_hospital/*"
    assert table.for_case("inter_hospital", "whenever").rule == "default"
    assert table.for_case("repatriation", "urgent").accept_within_minutes == 240
    assert table.header.verified is False


def test_cases_are_ordered_by_risk():
    cases = [
        Case("WITHIN", priority="routine", waited=timedelta(minutes=10)),
        Case("DONE", status="arrived", waited=timedelta(days=2)),
        Case("BREACH-SMALL", waited=timedelta(minutes=31)),  # 31/30 of its threshold
        Case("BREACH-BIG", priority="urgent", waited=timedelta(minutes=130)),  # 130/60
        Case("NEAR", priority="urgent", waited=timedelta(minutes=50)),  # 50/60
        Case("BREACH-TIE-B", priority="urgent", waited=timedelta(minutes=90), uuid="b"),
        Case("BREACH-TIE-A", priority="urgent", waited=timedelta(minutes=90), uuid="a"),
    ]
    order = [r.local_ref for r in transfer_risk.by_risk(cases, NOW)]
    assert order == ["BREACH-BIG", "BREACH-TIE-A", "BREACH-TIE-B", "BREACH-SMALL", "NEAR", "WITHIN"]
    assert [r.local_ref for r in transfer_risk.by_risk(cases, NOW, include_closed=True)][-1] == "DONE"


def test_risk_over_real_transfer_rows_in_the_replica(store, store_path, cli_env, capsys):
    t1 = authoring.create_transfer(store, local_ref="TR-1", kind="mh_out_of_area", from_code="RMH1",
                                   priority="urgent", author="A", requested_at=NOW - timedelta(hours=5))
    authoring.create_transfer(store, local_ref="TR-2", kind="intra_hospital", from_code="RTEST1",
                              priority="emergency", author="A", requested_at=NOW - timedelta(minutes=5))
    t3 = authoring.create_transfer(store, local_ref="TR-3", kind="inter_hospital", from_code="RTEST1",
                                   priority="emergency", author="A", requested_at=NOW - timedelta(hours=3))
    authoring.change_transfer(store, t3, "status", "departed", "A")
    authoring.change_transfer(store, t1, "status", "accepted", "A")
    with store.session() as s:
        risks = transfer_risk.by_risk(s.scalars(select(Transfer)).all(), NOW)
    assert [(r.local_ref, r.level, r.stage) for r in risks] == [
        ("TR-1", "within", "awaiting_departure"),  # 300 of 720 minutes
        ("TR-2", "within", "awaiting_acceptance")]  # 5 of 15
    assert risks[0].wait_minutes == pytest.approx(300)
    assert cli.main(["records", "transfers", "--at", "2025-03-30T22:00", "--path", str(store_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # 22:00 BST: TR-2 has waited 545 of 15 minutes, TR-1 840 of 720: TR-2 is further over.
    assert lines[1].split()[:2] == ["ESCALATE", "TR-2"] and lines[2].split()[:2] == ["ESCALATE", "TR-1"]


def test_a_bad_thresholds_file_reports_every_problem(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text('warn_fraction = 1.5\n[table]\nedition = "x"\nsource = "y"\nprovenance = "z"\n'
                    'verified = false\nnotes = ""\n[default]\naccept_within_minutes = 10\n'
                    'depart_within_minutes = 5\n[[threshold]]\nkind = "teleport"\npriority = "urgent"\n'
                    'accept_within_minutes = 0\ndepart_within_minutes = 10\n', encoding="utf-8")
    with pytest.raises(TableError) as err:
        transfer_risk.load_thresholds(path)
    reasons = " | ".join(str(p) for p in err.value.problems)
    assert len(err.value.problems) == 4, reasons
    for text in ("warn_fraction", "less than accept_within_minutes", "teleport", "more than 0 minutes"):
        assert text in reasons
