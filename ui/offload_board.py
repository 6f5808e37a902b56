"""The offload board: a totals row, then one row per hospital, every figure naming its window and rule.

Waiting and the longest wait (a lower bound at a known time when the ambulance service has gone
quiet); handovers since UK midnight with their mean, the mean of the last hour beside it; the share
within 15, 30 and 60 minutes against the contract standard (65/95/100%); handovers over the 45-minute
maximum; hours lost on the room's basis. Drawn from the page the view read through the door.
"""

from __future__ import annotations

import math
from datetime import datetime

from PySide6.QtWidgets import QTableWidget

from models.queries import offload as qo
from models.rules.handover_bands import HandoverSummary, HandoverTable, ShareWithin, hours_lost_label
from models.rules.intervals import fmt_number
from models.service import offload as door
from ui import format as fmt
from ui import theme
from ui.system_texts import clock_at, phoned_tip, phoned_words
from ui.widgets import cell, fill_table, make_table

TOTAL_KEY = "__all__"


def wait_text(minutes: float) -> str:
    """Every live wait on the offload view in one format: whole minutes, rounded up ("46 min",
    "1 h 05 min"). Up, so the figure agrees with its flag: 45 min 30 s is ">45 min" and reads "46 min"."""
    return fmt.whole_minutes_up(minutes)


def known_wait(w: qo.WaitingAmbulance, now: datetime | None = None, tail: str = "") -> str:
    """A wait as far as the data goes: "46 min" while the feed is live; once the service has gone
    quiet, "≥ 2 h 02 min at 16:23" (rounded down: it is a lower bound), the day named when it is not
    ``now``'s ("at Fri 10:00"). ``tail``: ", its last data" where no line beside it says the feed is quiet
    (a card's spoken queue). Until session 31 the spoken queue ended ", no data since", with no time."""
    if not w.stale or w.as_at is None:
        return wait_text(w.wait_minutes)
    at = clock_at(now, w.as_at) if now is not None else fmt.local_time(w.as_at)
    return f"≥ {fmt.span(w.wait_minutes * 60)} at {at}{tail}"


def hours_text(hours: float) -> str:
    """Hours to one decimal, halves up: 117 minutes is "2.0 h" (float formatting gave 1.9)."""
    return f"{math.floor(hours * 10 + 0.5 + 1e-9) / 10:.1f} h"


def lost_header(basis: float) -> str:
    """ "Hours lost beyond 15 min" for a heading (the same words as every hours-lost figure)."""
    return hours_lost_label(basis)[0].upper() + hours_lost_label(basis)[1:]


def recent_words(page: door.OffloadPage) -> str:
    return f"last {fmt.span(page.recent.total_seconds()).replace(' 00 min', '')}"


def headers(page: door.OffloadPage | None, table: HandoverTable) -> list[str]:
    since = fmt.local_time(page.today_from) if page else "00:00"
    recent = recent_words(page) if page else "last 1 h"
    basis = page.lost_basis if page else table.hours_lost_beyond_minutes
    # Short lines: eleven columns and a hospital's name share a 1366-pixel screen.
    shares = [f"Within\n{fmt_number(s.within_minutes)} min\n{fmt_number(s.target_pct)}% std"
              for s in (table.standard.shares if table.standard else ())]
    maximum = [f"Over\n{fmt_number(table.maximum.minutes)} min\nmaximum"] if table.maximum else []
    return (["Hospital", "Waiting\nnow", "Longest\nwait", f"Handovers\nsince\n{since}",
             f"Mean\nhandover\nsince {since}", f"Mean\nhandover\n{recent}"] + shares + maximum
            + [lost_header(basis).replace(" lost beyond", " lost\nbeyond") + f"\nsince {since}"])


# The board's first columns: the hospital, its queue now and today's handovers with their means. The rest
# judge the day against the standard; when the board is wider than the page (large text) they move to a
# second board below it, rows in the same order (``ui.offload_view.OffloadView._fit_board``).
NOW_COLUMNS = 6


def make_board(table: HandoverTable) -> QTableWidget:
    board = make_table(headers(None, table), "Offload: all hospitals, then each hospital", stretch=0)
    board.setWordWrap(False)
    return board


def _share(s: ShareWithin, standard_name: str, since: str) -> object:
    if s.share_pct is None:
        return cell("—", align_right=True, tooltip="No handovers in the window")
    return cell(f"{s.share_pct:.0f}%", align_right=True, colours=theme.met_colours(s.met),
                tooltip=f"{s.count_within} of {s.count} handovers since {since} took "
                        f"{fmt_number(s.within_minutes)} min or less; the {standard_name} asks for at "
                        f"least {fmt_number(s.target_pct)}%. {'Met' if s.met else 'Not met'}.")


def _over_max(t: HandoverSummary, table: HandoverTable) -> int:
    top = table.maximum.minutes
    return sum(n for b in table.bands for code, n in t.per_band.items() if code == b.code and b.range.lo >= top)


def _longest_words(longest: qo.WaitingAmbulance, page: door.OffloadPage) -> str:
    """A quiet feed's longest wait as "≥ 37 min" when every wait stopped at the one time the line over the board
    names ("No handover data ... since 14:02"); "≥ 37 min at 14:02" when the times differ. The time in each cell
    widened the board past 1280 pixels in high contrast: it split in two, each half two rows tall."""
    if longest.stale and len({w.as_at for w in page.waiting if w.stale}) == 1:
        return f"≥ {fmt.span(longest.wait_minutes * 60)}"
    return known_wait(longest, page.now)


def _row(key: str, name: str, tip: str, waiting: tuple[qo.WaitingAmbulance, ...] | int,
         longest: qo.WaitingAmbulance | None, today: HandoverSummary, recent: HandoverSummary | None,
         table: HandoverTable, page: door.OffloadPage, bold: bool) -> list:
    since = fmt.local_time(page.today_from)
    count = waiting if isinstance(waiting, int) else len(waiting)
    bands = "; ".join(f"{b.label}: {today.per_band.get(b.code, 0)}" for b in table.bands)
    row = [cell(name, data=key, tooltip=tip, bold=bold),
           cell(str(count), align_right=True, bold=bold),
           cell(_longest_words(longest, page) if longest else "—", align_right=True, bold=bold,
                colours=theme.NO_FIGURE_COLOURS if longest and longest.stale else None,
                tooltip=(f"Arrived {fmt.local_time(longest.arrived_at, with_date=True)}. "
                         + (f"No handover data from the ambulance service since "
                            f"{fmt.local_time(longest.as_at, with_date=True)}: the wait then, not now."
                            if longest.stale else "Waiting now.")) if longest else None),
           cell(str(today.count), align_right=True, bold=bold, tooltip=f"By time taken: {bands}"),
           cell(fmt.wait(today.mean_minutes) if today.mean_minutes is not None else "—", align_right=True,
                bold=bold, tooltip=f"Mean arrival-to-handover of the {today.count} handovers since {since}"),
           cell(fmt.wait(recent.mean_minutes) if recent and recent.mean_minutes is not None else "—",
                align_right=True, bold=bold,
                tooltip=f"Mean of the {recent.count if recent else 0} handovers in the {recent_words(page)} "
                        f"(to {fmt.local_time(page.now)})")]
    name_std = table.standard.name if table.standard else "standard"
    row += [_share(s, name_std, since) for s in today.within]
    if table.maximum:
        over = _over_max(today, table)
        row.append(cell(str(over), align_right=True, bold=bold,
                        colours=theme.NOT_MET_COLOURS if over else None,
                        tooltip=f"Handovers since {since} longer than the {fmt_number(table.maximum.minutes)}"
                                f"-minute maximum ({table.maximum.source})"))
    row.append(cell(hours_text(today.hours_lost), align_right=True, bold=bold,
                    tooltip=f"For each handover since {since}, the minutes beyond "
                            f"{fmt_number(today.hours_lost_beyond_minutes)}, summed. The basis is a room "
                            "setting (File > Settings): 15, 30 (as NHS England's monthly tables) or 60."))
    return row


def fill_board(board: QTableWidget, page: door.OffloadPage, table: HandoverTable) -> None:
    board.setHorizontalHeaderLabels(headers(page, table))
    def name(h):   # a hospital whose handover figures were phoned in says so in words, the caller in its tip
        m = page.phoned.get(h.hospital_code)
        return ((f"{fmt.short_name(h.name)} · {phoned_words(m)}", f"{h.name} ({h.hospital_code}). {phoned_tip(m)}")
                if m else (fmt.short_name(h.name), f"{h.name} ({h.hospital_code})"))
    t = page.totals
    # The totals first, under the headings: the board shows eight rows and scrolls past them, and the splitter
    # may give it fewer on a laptop; last, the totals were the row cut off (at 1280x720, in high contrast at
    # 1366x768, and past eight hospitals whatever the screen). The chart's picker lists all hospitals first too.
    rows = [_row(TOTAL_KEY, f"All hospitals ({len(page.board)})",
                 "Every hospital together: counts and hours summed, means and shares over all "
                 "their handovers", t.waiting, t.longest, t.today, t.recent, table, page, True)]
    rows += [_row(h.hospital_code, *name(h), h.waiting,
                  h.longest_wait, h.today, h.recent, table, page, False) for h in page.board]
    fill_table(board, rows)
