"""What a new-user review of the rendered views found, each over a real replica, real widgets offscreen."""

from __future__ import annotations

import html
import itertools
import math
import re
from datetime import timedelta

import pytest
from PySide6.QtGui import QFont, QFontMetrics

from models.replica.orm import OpelAssessment
from models.service import actions as door
from models.service import housekeeping
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, ago, fill_system
from tests.ui.test_views import _view
from ui import format as fmt
from ui import tasks, theme
from ui.actions_view import ActionsView
from ui.ambulance_view import AmbulanceView
from ui.critcon_view import CritconView
from ui.offload_view import OffloadView
from ui.provider_view import ProviderView
from ui.records.contacts_view import ContactsView
from ui.widgets import table_text


# --- 1. provider: the period toggle and the two charts ------------------------------------------
def test_period_buttons_are_wide_enough_for_their_bold_checked_text(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    for b in view.range_group.buttons():
        bold = QFont(b.font())
        bold.setBold(True)
        text = b.text().replace("&", "")
        # The stylesheet pads a button 10 px a side, with a 1-3 px border.
        assert b.width() >= QFontMetrics(bold).horizontalAdvance(text) + 2 * 10 + 2 * 1, text


def test_provider_charts_mark_the_same_times_from_the_same_left_edge(qtbot, store):
    fill_system(store)
    view = _view(qtbot, ProviderView, store)
    qtbot.wait(20)
    charts = (view.param_chart, view.level_chart)
    items = [c.plot.getPlotItem() for c in charts]
    assert items[0].getAxis("left").width() == items[1].getAxis("left").width()
    assert items[0].viewRange()[0] == pytest.approx(items[1].viewRange()[0])
    lo, hi = items[0].viewRange()[0]
    ticks = [item.getAxis("bottom").tickValues(lo, hi, item.getAxis("bottom").geometry().width())
             for item in items]
    assert ticks[0] == ticks[1] and ticks[0][0][1]
    # The wider chart would on its own mark every 3 h and the narrower every 6 h.
    assert view.param_chart.width() > view.level_chart.width()


# --- 2. critical care: true values, colours that differ ------------------------------------------
def test_critcon_lines_are_drawn_on_the_reported_levels(qtbot, store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.org("RCC", "Gamma Hospitals NHS Trust")
    # Reports an hour or so apart: further apart than two hours, a chart breaks the line.
    f.critcon("RAA", ago(180), 2, 20, 15).critcon("RAA", ago(100), 2, 20, 17).critcon("RAA", ago(30), 2, 20, 19)
    f.critcon("RBB", ago(180), 2, 12, 6).critcon("RBB", ago(60), 1, 12, 6)
    f.critcon("RCC", ago(120), 0, 10, 5)
    f.apply(store)
    view = _view(qtbot, CritconView, store)
    drawn = {}
    for item in view.chart.plot.getPlotItem().listDataItems():
        ys = item.getData()[1]
        if ys is not None and len(ys):
            drawn.setdefault(item.name(), set()).update(float(y) for y in ys)
    markers = drawn.pop(None)  # the report points, on the same values
    assert markers == {0.0, 1.0, 2.0}
    assert drawn == {"Alpha Hospitals": {2.0}, "Beta Hospitals": {2.0, 1.0}, "Gamma Hospitals": {0.0}}
    for s in view.chart.series:
        assert all(v == round(v) for _, v in s.points)
    # Two providers on one level are told apart by marker and dash, and the hover names both.
    assert len({s.symbol for s in view.chart.series}) == 3 and len({s.dash for s in view.chart.series}) == 3
    at = (NOW - timedelta(minutes=150)).timestamp()
    text = view.chart.hover_text(at, 2.0)
    assert "Alpha Hospitals: CRITCON 2" in text and "Beta Hospitals: CRITCON 2" in text


def _lab(colour: str) -> tuple[float, float, float]:
    rgb = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def _delta_e2000(c1: str, c2: str) -> float:
    """CIEDE2000 colour difference (about 2 is just noticeable; 15+ is a different colour at a glance)."""
    (l1, a1, b1), (l2, a2, b2) = _lab(c1), _lab(c2)
    cb = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cb ** 7 / (cb ** 7 + 25 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dh = 0.0 if c1p * c2p == 0 else (h2 - h1 - 360 if h2 - h1 > 180 else h2 - h1 + 360 if h2 - h1 < -180
                                      else h2 - h1)
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    lb, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hb = h1 + h2
    elif abs(h1 - h2) <= 180:
        hb = (h1 + h2) / 2
    else:
        hb = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(hb - 30)) + 0.24 * math.cos(math.radians(2 * hb))
         + 0.32 * math.cos(math.radians(3 * hb + 6)) - 0.20 * math.cos(math.radians(4 * hb - 63)))
    rc = 2 * math.sqrt(cbp ** 7 / (cbp ** 7 + 25 ** 7))
    sl = 1 + 0.015 * (lb - 50) ** 2 / math.sqrt(20 + (lb - 50) ** 2)
    sc, sh = 1 + 0.045 * cbp, 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(60 * math.exp(-((hb - 275) / 25) ** 2))) * rc
    dl, dc = l2 - l1, c2p - c1p
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (d_h / sh) ** 2 + rt * (dc / sc) * (d_h / sh))


@pytest.mark.parametrize("key", sorted(theme.THEMES))
def test_chart_line_colours_are_told_apart_in_every_theme(key):
    palette = theme.THEMES[key].series
    assert len(palette) == 10
    # Known reference: a red and a maroon (the colours the review mixed up) are 29.9 apart.
    assert _delta_e2000("#d5281b", "#7c2855") == pytest.approx(29.9, abs=0.1)
    close = [(a, b, round(_delta_e2000(a, b), 1)) for a, b in itertools.combinations(palette, 2)
             if _delta_e2000(a, b) < 15]
    assert close == []
    # The first five (a chart of the five acute trusts) stay well apart: no two reds among them.
    first = palette[:5]
    assert min(_delta_e2000(a, b) for a, b in itertools.combinations(first, 2)) >= 20
    reds = [c for c in first if 340 <= math.degrees(math.atan2(_lab(c)[2], _lab(c)[1])) % 360
            or math.degrees(math.atan2(_lab(c)[2], _lab(c)[1])) % 360 <= 45]
    assert len(reds) <= 1, reds


# --- 3. actions: sectors by their names ------------------------------------------------------------
def test_action_cards_name_sectors_as_the_room_does(qtbot, store):
    with store.session() as s, s.begin():
        for pillar in ("mental_health", "nhs111"):
            for hours, level in ((2, 1), (1, 3)):
                s.add(OpelAssessment(scope="pillar", org_code=None, pillar=pillar,
                                     assessed_at=NOW - timedelta(hours=hours), table_edition="test",
                                     table_verified=False, calculated_level=level, complete=True))
    view = ActionsView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.user_edit.setText("Sam Lead")
    view.refresh()
    assert tasks.manager().wait_idle()   # read off the UI thread
    titles = [b.title() for b in view.checklist_boxes]
    assert len(titles) == 2, titles
    text = " ".join(titles)
    assert "Mental health sector: OPEL 1 → OPEL 3" in text and "NHS 111 sector: OPEL 1 → OPEL 3" in text
    assert "pillar" not in text and "nhs111" not in text and "mental health" not in text
    assert fmt.pillar_name("mental_health") == "Mental health" and fmt.pillar_name("nhs111") == "NHS 111"


def test_action_cards_drawn_by_a_refresh_are_visible_straight_away(qtbot, store):
    """A refresh just before a screenshot (or a glance) left the new cards hidden until a later
    pass of the event loop: the render showed "OPEL action cards" with nothing under it."""
    with store.session() as s, s.begin():
        for hours, level in ((2, 1), (1, 3)):
            s.add(OpelAssessment(scope="system", org_code=None, pillar="system",
                                 assessed_at=NOW - timedelta(hours=hours), table_edition="test",
                                 table_verified=False, calculated_level=level, complete=True))
    view = ActionsView(store, lambda: NOW)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    housekeeping.run(store, NOW)                       # raises the checklist
    view._draw(door.actions_page(store, NOW))          # the read's result arriving: no later pass of the loop
    assert view.checklist_boxes and all(b.isVisible() for b in view.checklist_boxes)
    assert all(c.isVisible() for c in view.card_boxes.values())


# --- 4. offload: age on each card, one wait format, bands in words ----------------------------------
def test_offload_cards_show_their_data_age_and_mark_stale(qtbot, store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    f.org("RCC", "Gamma Hospitals NHS Trust")
    f.waiting("amb-1", "RAA", 20)  # received as it arrived, 20 min ago
    f.handover("amb-2", "RBB", "handed_over", arrived=ago(180), handed=ago(155), updated=ago(155))
    f.handover("amb-3", "RCC", "en_route", eta=NOW + timedelta(minutes=5))
    f.apply(store)
    view = _view(qtbot, OffloadView, store)
    cards = {c.hospital.hospital_code: c for c in view.cards}
    for card in cards.values():
        assert re.search(r"updated \d\d:\d\d \((just now|\d+ min ago|\d+ h ago|\d+ h \d\d min ago)\)", card.age_label.text()), \
            card.age_label.text()
    assert not cards["RAA"].stale and "STALE" not in cards["RAA"].age_label.text()
    assert cards["RBB"].stale and cards["RBB"].age_label.text().startswith("STALE · ")
    assert theme.current().stale in cards["RBB"].age_label.styleSheet()


def test_offload_waits_share_one_format_and_bands_are_in_words(qtbot, store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    for uuid, minutes in (("amb-0046", 45.5), ("amb-0035", 35), ("amb-0030", 30.82), ("amb-0061", 61.2)):
        f.waiting(uuid, "RAA", minutes)
    for i, minutes in enumerate((10, 20, 25, 40, 70)):
        f.handed_over(f"amb-1{i}", "RAA", NOW - timedelta(hours=5 - i), minutes)
    f.apply(store)
    view = _view(qtbot, OffloadView, store)
    card = view.cards[0]
    rows = table_text(card.queue)
    assert [r[1] for r in rows] == ["1 h 02 min", "46 min", "35 min", "31 min"]
    assert [r[2] for r in rows] == [">60 min", ">45 min", ">30 min", ">30 min"]
    assert all(re.fullmatch(r"\d+ min|\d+ h \d\d min", r[1]) for r in rows)
    assert "longest 1 h 02 min" in card.waiting_label.text()
    # Today's handovers by band: on the board, in the hospital's "Handovers since 00:00" cell.
    heads = [view.board.horizontalHeaderItem(c).text() for c in range(view.board.columnCount())]
    handovers = view.board.item(1, heads.index("Handovers\nsince\n00:00"))   # under the totals row
    assert handovers.text() == "5"
    tip = html.unescape(re.sub(r"<[^>]+>", " ", handovers.toolTip())).replace("\xa0", " ")
    assert [int(n) for n in re.findall(r":\s(\d+)", tip)] == [1, 2, 1, 0, 1]
    assert "Within 15 minutes" in tip


# --- 5. contacts: buttons with nothing to act on look it ------------------------------------------
def _darkest(widget) -> int:
    image = widget.grab().toImage()
    return min(image.pixelColor(x, y).lightness()
               for x in range(0, image.width(), 1) for y in range(0, image.height(), 1))


@pytest.fixture
def app_look(qapp):
    """The application's stylesheet and palette, as the window sets them."""
    style, palette = qapp.styleSheet(), qapp.palette()
    qapp.setStyleSheet(theme.stylesheet(theme.current()))
    qapp.setPalette(theme.palette(theme.current()))
    yield
    qapp.setStyleSheet(style)
    qapp.setPalette(palette)


def test_contact_buttons_are_off_and_look_off_until_a_contact_is_chosen(qtbot, store, app_look):
    view = _view(qtbot, ContactsView, store)
    off = (view.copy_phone_button, view.copy_email_button, view.edit_button, view.delete_button,
           view.copy_spoc_button)
    assert [b.isEnabled() for b in off] == [False] * 5
    assert view.new_button.isEnabled()
    # Greyed out, not drawn like a button that works: the text is much lighter.
    for b in off:
        assert _darkest(b) > _darkest(view.new_button) + 60, b.text()
    from sync import authoring
    authoring.upsert_contact(store, author="Test User", name="Dr Ada Director",
                             organisation="Alpha Hospitals NHS Trust", phone="01632 960001",
                             email="ada@example.nhs.uk")
    view.refresh()
    assert tasks.manager().wait_idle()   # read off the UI thread
    view.table.selectRow(0)
    assert [b.isEnabled() for b in off[:4]] == [True] * 4
    assert abs(_darkest(view.edit_button) - _darkest(view.new_button)) < 30


# --- 6. ambulance: the key sits outside the plot --------------------------------------------------
def test_ambulance_chart_keys_sit_above_the_plots(qtbot, store):
    fill_system(store)
    view = _view(qtbot, AmbulanceView, store)
    for chart in (view.level_chart, view.response_chart):
        assert chart.legend is None and chart.key is not None and chart.key.isVisible()
        assert chart.key.geometry().bottom() < chart.plot.geometry().top()
    assert "C1 mean" in view.response_chart.key.text() and "C2 mean" in view.response_chart.key.text()
    assert "REAP" in view.level_chart.key.text() and "CSP" in view.level_chart.key.text()
    # Other charts keep their inside legend when asked for one.
    from ui.charts import TimeChart
    inside = TimeChart("x", legend=True)
    qtbot.addWidget(inside)
    assert inside.legend is not None and inside.key is None
