"""/m/'s "On call now" in a gap in a rota: when the gap ends and who takes over, as the desktop's system picture
says it, the day named when the gap ends on another day (UK time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.rules import escalation as esc
from sync.hub.web.board import Board, _on_call
from sync.hub.web.pages import _environment

NIGHT = datetime(2026, 1, 12, 23, 0, tzinfo=timezone.utc)   # Mon 23:00: UK time is UTC in winter
PEOPLE = {"p": esc.Person("p", "Dr Priya Raman", None, phone="07700 900101"),
          "t": esc.Person("t", "Tom Okafor", None, phone="07700 900102"),
          "g": esc.Person("g", "Gone Person", None, deleted=True, phone="07700 900103")}


def _shift(uid: str, rota: str, who: str, start_h: float, end_h: float) -> esc.Shift:
    return esc.Shift(uid, rota, who, NIGHT + timedelta(hours=start_h), NIGHT + timedelta(hours=end_h))


def _rows(shifts) -> dict[str, str]:
    board = Board(NIGHT, None, [], [], [], None, 15, [], [], {}, [], _on_call(shifts, PEOPLE, NIGHT), {})
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    part = html[html.index('id="h-oc"'):]
    out = {}
    for li in part.split("<li>")[1:]:
        rota = li.split('<span class="name">')[1].split("</span>")[0]
        out[rota] = li.split('<span class="meta">')[1].split("</span>\n")[0]
    return out


def test_a_gap_over_midnight_says_until_when_with_its_day_and_who_takes_over():
    rows = _rows([_shift("1", esc.OUT_OF_HOURS_ROTA, "p", -12, -1),     # ended at 22:00
                  _shift("2", esc.OUT_OF_HOURS_ROTA, "p", 10, 20),      # a later one
                  _shift("3", esc.OUT_OF_HOURS_ROTA, "t", 6, 20),       # Tue 05:00: the next
                  _shift("4", esc.IN_HOURS_ROTA, "g", 1, 9)])           # next is a deleted contact
    assert rows[esc.OUT_OF_HOURS_ROTA] == "<b>nobody on call</b> until Tue 13 Jan 05:00; then Tom Okafor (07700 900102)"
    assert rows[esc.IN_HOURS_ROTA] == "<b>nobody on call</b> until Tue 13 Jan 00:00; then <b>nobody on call</b>"


def test_a_gap_with_no_later_shift_and_a_shift_under_way_read_as_before():
    rows = _rows([_shift("1", esc.OUT_OF_HOURS_ROTA, "p", -2, 1), _shift("2", esc.OUT_OF_HOURS_ROTA, "t", 1, 9)])
    assert rows[esc.OUT_OF_HOURS_ROTA] == "Dr Priya Raman, until Tue 13 Jan 00:00; then Tom Okafor"
    assert rows[esc.IN_HOURS_ROTA] == "<b>nobody on call</b>, and no later shift on the rota"


def test_a_shift_held_by_a_deleted_contact_reads_as_a_gap_to_its_end():
    rows = _rows([_shift("1", esc.OUT_OF_HOURS_ROTA, "g", -2, 2), _shift("2", esc.OUT_OF_HOURS_ROTA, "t", 2, 9)])
    assert rows[esc.OUT_OF_HOURS_ROTA] == "<b>nobody on call</b> until Tue 13 Jan 01:00; then Tom Okafor (07700 900102)"
