"""System overview: the system and pillar levels, then a tile per provider.

Reads its page through the door (``models.service.overview``: plain SQL, so the first paint needs
no ORM): the first time at once, for the window's first paint, after that off the UI thread
(``ui.tasks.LatestRead``). Redraws when a sync cycle says OPEL assessments or organisations
changed, and once a minute for data ages; a filter or sort change redraws the page in hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QSizePolicy,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from functools import lru_cache

from models.queries import opel_latest
from models.rules.catalogue import load_catalogue
from models.rules.declared_above import of_statuses as declared_above
from models.rules.declared_above import words as declared_words
from models.rules.opel_rollup import NextLevel
from models.rules.opel_table import edition_words
from models.service import overview as door
from models.service import figure_doubts as doubts_door
from models.service import phoned_in as phoned_door
from models.uk_time import UK
from ui import format as fmt
from ui import stale_limits
from ui import stale as stale_look
from ui import doubt_mark, tasks, theme
from ui.flow_bar import FlowBar, LineLabel
from ui.theme import OPEL_WORDS, opel_colours, opel_label
from ui.text import esc, literal, plain_label

TILE_MIN_WIDTH = 250
SECTORS = [("All sectors", None), ("Acute", "acute"), ("Community", "community"),
           ("Mental health", "mental_health"), ("NHS 111", "nhs111")]
# (title, smallest level shown); "incomplete" shows tiles without a complete level.
LEVELS = [("All levels", None), ("OPEL 4", 4), ("OPEL 3 and above", 3), ("OPEL 2 and above", 2),
          ("Incomplete or stale", "attention")]
SORTS = [("Worst first", "worst"), ("Name", "name"), ("Oldest data first", "age"),
         ("Risen since yesterday first", "trend")]
EMPTY_TEXT = ("No provider data yet. The picture appears here as soon as the "
              "first sync with the hub completes.")
# The first draw builds at least this many tiles before the first paint (the rest follow it).
FIRST_TILES_MIN = 12
# Tiles this far below the visible part are measured too (a short scroll finds them ready).
FIT_AHEAD_PX = 200


@lru_cache(maxsize=1)
def _metrics() -> dict[str, tuple[str, str]]:
    return {code: (m.name, m.unit) for code, m in load_catalogue().metrics.items()}


def driver_tip(d: opel_latest.Driver) -> str:
    """The parameter's key and its band in words (which side each edge falls on)."""
    return _band_tip(d.key, d.band)


@lru_cache(maxsize=4096)
def _band_tip(key: str, band: str | None) -> str:
    # A table has a few bands a parameter: parsed once each, not for every tile at every refresh.
    _name, unit = _metrics().get(key, (key, ""))
    exact = fmt.band(band, unit)[1] if band else ""
    return f"{key}: band {exact or band}" if band else key


def points(x: float) -> str:
    return f"{round(x, 1):g}"


def step_text(status: opel_latest.OpelStatus, step: NextLevel | None) -> str:
    """"score 11 · 9 pts to OPEL 3": how far the calculated score is from the next level up."""
    if status.total is None or status.level is None:
        return "score incomplete"
    score = f"score {points(status.total)}"
    if status.level >= 4:
        return f"{score} · highest level"
    if step is None:
        return score
    gap = f"{points(step.points)} pts" if step.inclusive else f"over {points(step.points)} pts"
    return f"{score} · {gap} to OPEL {step.level}"


def rollup_detail(status: opel_latest.OpelStatus | None, why: door.RollupWhy | None,
                  names: dict[str, str]) -> str:
    """"ICS score 40.9 · set by Acute, Community": the roll-up's score and what sets its level."""
    if status is None:
        return ""
    head = "ICS score" if status.scope == "system" else "score"
    unit = why.unit if why is not None else ""
    parts = [f"{head} {status.total:.3g}{unit}" if status.total is not None else f"{head} incomplete"]
    if why is not None and why.drivers:
        shown = [names.get(d, d) for d in why.drivers[:2]]
        more = f" +{len(why.drivers) - 2} more" if len(why.drivers) > 2 else ""
        parts.append(("set by " if why.exact else "highest: ") + ", ".join(shown) + more)
    return " · ".join(parts)


def driver_text(d: opel_latest.Driver) -> str:
    """"Name: value unit (points it adds)": the points are weighted, as they add up to the score."""
    name, unit = _metrics().get(d.key, (d.key, ""))
    if d.problem:
        return f"{name}: {d.problem}"
    if d.value is None:
        return name
    shown = fmt.value(d.value, unit)
    return f"{name}: {shown} ({d.weighted_points:g} pts)" if d.points is not None else f"{name}: {shown}"


def lines_taken(font: QFont, text: str, width: int) -> float:
    """How many lines ``text`` takes wrapped at ``width`` pixels in ``font`` (infinite: a word wider than that)."""
    metrics = QFontMetrics(font)
    box = metrics.boundingRect(QRect(0, 0, max(width, 1), 100_000), Qt.TextFlag.TextWordWrap, text)
    return box.height() / metrics.lineSpacing() if box.width() <= width else float("inf")


def _age_fitted(font: QFont, ages: tuple[str, str], width: int | None) -> str:
    """The data's age (``ages``: in full, and ``stale.short_age_text``'s) for a line ``width`` pixels wide: in
    full where it takes two lines at most (always at the usual text size), else the short form, which breaks
    only between its parts (at twice the text the full one took three lines in a tile or a badge, "1 h 24" on
    one and "min" on the next); the short form too where it has the same words and the full one wraps."""
    full, short = ages
    if width is None:
        return full
    taken = lines_taken(font, full, width)
    if taken < 2 or (taken < 3 and short.replace(stale_look.NBSP, " ") != full):
        return full
    return short


class LevelBadge(QLabel):
    PADDING_PX = 6   # each side (its style sheet's padding)

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.title = title
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(150)
        self.setWordWrap(True)   # OPEL 4's words wrap in a narrow tile rather than widen the window
        self.folded = False   # the detail (score, what sets it) in the tooltip: a page too short (``fold``)
        self.age_width: int | None = None   # the width its lines have (``fit``); None: not known yet
        self.detail = ""
        self._shown: tuple = (None, None, "", "", "")
        self.set_status(None)

    def fold(self, folded: bool) -> None:
        """The detail under the level, or (``folded``, a page too short for it) left to the tooltip, so the level,
        its words and the data's age keep their lines."""
        if folded != self.folded:
            self.folded = folded
            self.set_status(*self._shown)

    def fit(self, width: int) -> None:
        """The data's age for a badge ``width`` pixels wide: in full where it takes two lines at most."""
        t = theme.current()
        inner = width - 2 * (self.PADDING_PX + t.border_px + 1)
        if inner != self.age_width:
            self.age_width = inner
            self.set_status(*self._shown)

    def set_status(self, status: opel_latest.OpelStatus | None, now: datetime | None = None,
                   detail: str = "", declared: str = "", declared_said: str = "") -> None:
        """The level, ``detail`` (score, what sets it) and the data's age; washed out and hatched,
        with "no data since", once the data is older than ``stale_limits.current().opel`` at ``now``.
        ``declared``: "NNJ declared 4" (``models.rules.declared_above``), kept on the badge when the detail is
        folded into the tooltip: a room is never shown a pillar below a declaration untold; ``declared_said``, the
        whole sentence for the accessible name ("calculated level; NNJ declared 4")."""
        self._shown, self.detail = (status, now, detail, declared, declared_said), detail
        level = status.shown_level if status else None
        at_least = status.at_least_level if status else None
        bg, fg = opel_colours(level)
        word = OPEL_WORDS.get(level or 0, "")
        age, stale = (stale_look.age_text(now, status.assessed_at, stale_limits.current().opel)
                      if status is not None and now is not None else ("", False))
        shown_age = age
        if age:
            font = QFont(self.font())
            font.setBold(stale)
            shown_age = _age_fitted(font, (age, stale_look.short_age_text(
                now, status.assessed_at, stale_limits.current().opel)), self.age_width)
        text = (f"<b>{self.title}</b><br><span style='font-size:x-large'>"
                f"{opel_label(level, at_least)}</span><br>{word}")
        if detail and not self.folded:
            text += f"<br>{esc(detail)}"
        if declared:
            text += f"<br><b>{esc(declared)}</b>"
        if age:
            text += f"<br><b>{esc(shown_age)}</b>" if stale else f"<br>{esc(shown_age)}"
        css = stale_look.badge_css((bg, fg), stale, radius=6, padding=f"{self.PADDING_PX}px", bold=False)
        if text != self.text():
            self.setText(text)
        if css != self.styleSheet():  # setting a style sheet re-polishes: only when it changes
            self.setStyleSheet(css)
        self.setAccessibleName(f"{self.title}: {opel_label(level, at_least)}" + (f", {declared_said or declared}" if declared else "")
                               + (f", stale, {age}" if stale else f", {age}" if age else ""))


def _metric_name(key: str) -> str:
    return _metrics().get(key, (key, ""))[0]


def _tile_texts(status: opel_latest.OpelStatus, now: datetime, trend: str = "",
                step: NextLevel | None = None, phoned: phoned_door.Mark | None = None,
                doubted: tuple = ()) -> tuple:
    """Everything a tile shows for ``status`` at ``now`` (texts, styles, names), in one tuple.

    Two equal tuples draw the same tile, so a refresh can leave it alone.
    """
    level = status.shown_level
    label = opel_label(level, status.at_least_level)
    head = (f"<b>{esc(status.name)}</b> <span style='color:{theme.current().muted}'>"
            f"{esc(status.org_code)}</span>")
    if phoned is not None:   # figures the room heard on the phone, until the provider's feed sends newer
        head += (f"<br><b>☎ PHONED IN</b> {esc(fmt.local_time(phoned.at))}"
                 f"{' (not sent yet)' if phoned.waiting else ''}: {esc(phoned.caller_name)} "
                 f"({esc(phoned.caller_role)}), taken by {esc(phoned.taken_by)}")
    declared = (f"Declared {status.declared_level}, calculated {status.level}: {status.override_reason or ''}"
                if status.declared_level and status.level and status.declared_level != status.level else None)
    in_doubt = {}
    for d in doubted:   # figure_doubts.Doubt s: the first finding about each metric
        in_doubt.setdefault(d.metric, d)
    drivers = tuple((f"{doubt_mark.SIGN} {driver_text(d)}", literal(f"{driver_tip(d)}\n{doubt_mark.full([in_doubt[d.key]])}"))
                    if d.key in in_doubt else (driver_text(d), literal(driver_tip(d))) for d in status.drivers[:3])
    mark = (doubt_mark.short(doubted, _metric_name), doubt_mark.full(doubted)) if doubted else None
    age_text, stale = stale_look.age_text(now, status.assessed_at, stale_limits.current().opel)
    ages = (age_text, stale_look.short_age_text(now, status.assessed_at, stale_limits.current().opel))
    step_line = step_text(status, step)
    return (head, label, stale_look.badge_css(opel_colours(level), stale), declared, drivers, ages,
            "staleLabel" if stale else "ageLabel",
            f"{status.name}: {label}, {step_line}, {trend or 'no trend'}, {'stale, ' if stale else ''}{age_text}"
            + (f", figures phoned in by {phoned.caller_name}" if phoned is not None else "")
            + (f", {doubt_mark.spoken(doubted, _metric_name)}" if doubted else ""),
            trend, step_line, stale_look.frame_css("providerTile", stale), mark)


class ProviderTile(QFrame):
    """A provider at a glance; click it (or focus it and press Enter) to see why."""

    activated = Signal(str)

    def __init__(self, status: opel_latest.OpelStatus, now: datetime, parent=None, texts: tuple | None = None) -> None:
        super().__init__(parent)
        self.status = status
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("providerTile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Open this provider's drill-down (Enter)")
        self.texts = texts if texts is not None else _tile_texts(status, now)
        head_html, label, css, declared, drivers, ages, age_name, accessible, trend, step, frame, mark = self.texts
        self.setStyleSheet(frame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.head = QLabel(head_html, self)   # made in the tile: adding it to the layout moves nothing
        self.head.setTextFormat(Qt.TextFormat.RichText)  # markup around escaped names (``_tile_texts``)
        self.head.setWordWrap(True)
        self.badge = QLabel(label, self)
        self.badge.setStyleSheet(css)
        self.badge.setObjectName("levelBadge")
        layout.addWidget(self.head)
        self.doubt: QLabel | None = None   # "? In doubt (data quality): ...": made when first needed
        layout.addWidget(self.badge)
        self.step = plain_label(step, parent=self)
        self.step.setObjectName("stepLabel")
        self.step.setToolTip("The calculated score and the points it would take to reach the next level up")
        layout.addWidget(self.step)
        self.trend = plain_label(trend, parent=self)
        self.trend.setObjectName("trendLabel")
        self.trend.setToolTip("The level shown now against the one in force 24 hours ago")
        layout.addWidget(self.trend)
        self.declared: QLabel | None = None   # made when first needed, hidden when not
        self.drivers: list[QLabel] = []          # the lines in use come first; the rest are hidden
        self.age_width: int | None = None   # the age line's width (``fit_age``); None: not fitted yet
        self.age = QLabel(ages[0], self)
        self.age.setObjectName(age_name)
        self.age.setWordWrap(True)
        layout.addWidget(self.age)
        self._show_lines(declared, drivers, None, ())
        self._show_doubt(mark)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setAccessibleName(accessible)
        self.setAccessibleDescription("Press Enter to open the provider drill-down")
        self.fitted: tuple | None = None  # (width, theme) its height was fitted for

    def _show_lines(self, declared: str | None, drivers: tuple, old_declared: str | None, old_drivers: tuple) -> None:
        """The declared-level line and the driver lines for ``declared`` and ``drivers``, shown or
        hidden in place: a tile is never built anew because a declaration came or went."""
        layout = self.layout()
        # A label added to a tile that is not on screen yet (being built) is shown with the tile, as
        # the tile's other labels are; show() now would polish it on its own first (about a quarter
        # of building a tile for the first paint). A label added to a shown tile is shown here.
        shown = self.isVisible()
        if declared is None:
            if self.declared is not None:
                self.declared.hide()
        else:
            added = self.declared is None
            if added:
                # the override reason is free text: never cut off, never markup
                self.declared = plain_label(declared, parent=self)
                layout.insertWidget(4, self.declared)   # under the head, badge, step and trend
            elif declared != old_declared or self.declared.isHidden():
                self.declared.setText(declared)
            if self.declared.isHidden() and (shown or not added):   # show() on a shown label still costs a trip through Qt
                self.declared.show()
        for i, (text, tip) in enumerate(drivers):
            if i == len(self.drivers):
                line = plain_label(text, parent=self)   # a problem is the hub's text
                line.setToolTip(tip)
                layout.insertWidget(layout.indexOf(self.age), line)
                if shown:
                    line.show()   # now: a child added to a shown tile is shown only later, after its height was fitted
                self.drivers.append(line)
                continue
            line = self.drivers[i]
            before = old_drivers[i] if i < len(old_drivers) else (None, None)
            if text != before[0]:
                line.setText(text)
            if tip != before[1]:
                line.setToolTip(tip)
            if line.isHidden():
                line.show()
        for line in self.drivers[len(drivers):]:
            if not line.isHidden():
                line.hide()

    def _show_doubt(self, mark: tuple[str, str] | None) -> None:
        """The line under the name while a finding puts one of the provider's figures in doubt; its
        tooltip and accessible description say each finding in full."""
        if mark is None:
            if self.doubt is not None and not self.doubt.isHidden():
                self.doubt.hide()
            return
        text, tip = mark
        if self.doubt is None:
            self.doubt = plain_label(text, parent=self)
            self.doubt.setObjectName("doubtLabel")
            self.layout().insertWidget(1, self.doubt)   # under the name, above the level
            if self.isVisible():
                self.doubt.show()
        elif self.doubt.text() != text:
            self.doubt.setText(text)
        if self.doubt.toolTip() != tip:
            self.doubt.setToolTip(tip)
            self.doubt.setAccessibleName(text)
            self.doubt.setAccessibleDescription(tip)
        if self.doubt.isHidden():
            self.doubt.show()

    def update_texts(self, status: opel_latest.OpelStatus, texts: tuple) -> bool:
        """Show ``status`` (``texts`` from :func:`_tile_texts`); True if anything changed."""
        self.status = status
        if texts == self.texts:
            return False
        head_html, label, css, declared, drivers, ages, age_name, accessible, trend, step, frame, mark = texts
        old = self.texts
        if mark != old[11]:
            self._show_doubt(mark)
        if trend != old[8]:
            self.trend.setText(trend)
        if step != old[9]:
            self.step.setText(step)
        if frame != old[10]:
            self.setStyleSheet(frame)
        if head_html != old[0]:
            self.head.setText(head_html)
        if label != old[1]:
            self.badge.setText(label)
        if css != old[2]:
            self.badge.setStyleSheet(css)
        self._show_lines(declared, drivers, old[3], old[4])
        if age_name != old[6]:
            self.age.setObjectName(age_name)
            self.age.style().unpolish(self.age)  # the theme styles the two names differently
            self.age.style().polish(self.age)
        if accessible != old[7]:
            self.setAccessibleName(accessible)
        self.texts = texts
        if ages != old[5]:
            self._show_age()
        self.fitted = None  # wrapped lines may need another height
        return True

    def fit_age(self, width: int) -> None:
        """The data's age for the tile at ``width`` pixels: in full where it takes two lines at most."""
        margins = self.layout().contentsMargins()
        self.age_width = width - margins.left() - margins.right() - 2 * self.frameWidth()
        self._show_age()

    def _show_age(self) -> None:
        shown = _age_fitted(self.age.font(), self.texts[5], self.age_width)
        if shown != self.age.text():
            self.age.setText(shown)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.status.org_code:
            self.activated.emit(self.status.org_code)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.status.org_code:
            self.activated.emit(self.status.org_code)
            return
        super().keyPressEvent(event)


class OverviewView(QWidget):
    """The whole system's pressure at a glance."""

    KINDS = frozenset({"opel_assessment", "organisation"})
    provider_activated = Signal(str)
    drawn = Signal()   # a page has been drawn (after each refresh; a filter change too)

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.tiles: list[ProviderTile] = []
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.system_badge = LevelBadge("System")
        top.addWidget(self.system_badge)
        self.pillar_badges: dict[str, LevelBadge] = {}
        for title, key in SECTORS[1:]:
            badge = LevelBadge(title)
            self.pillar_badges[key] = badge
            top.addWidget(badge)
        outer.addLayout(top)
        # Wraps at large text: the edition goes to a line of its own rather than four beside the filters.
        filters = FlowBar()
        self.sector_filter = QComboBox()
        self.sector_filter.setAccessibleName("Filter by sector")
        for title, key in SECTORS:
            self.sector_filter.addItem(title, key)
        self.sector_filter.currentIndexChanged.connect(self._redraw)
        show = QLabel("&Show:")
        show.setBuddy(self.sector_filter)
        filters.addWidget(show)
        filters.addWidget(self.sector_filter)
        self.level_filter = QComboBox()
        self.level_filter.setAccessibleName("Filter by OPEL level")
        for title, key in LEVELS:
            self.level_filter.addItem(title, key)
        self.level_filter.currentIndexChanged.connect(self._redraw)
        filters.addWidget(self.level_filter)
        self.sort_order = QComboBox()
        self.sort_order.setAccessibleName("Sort providers")
        for title, key in SORTS:
            self.sort_order.addItem(title, key)
        self.sort_order.setItemData(0, "Highest level first; within a level, a level declared apart from its "
                                       "score or incomplete first, then the score nearest the next level (on "
                                       "its own pillar's scale), then by name", Qt.ItemDataRole.ToolTipRole)
        self.sort_order.currentIndexChanged.connect(self._redraw)
        sort = QLabel("S&ort:")
        sort.setBuddy(self.sort_order)
        filters.addWidget(sort)
        filters.addWidget(self.sort_order)
        filters.addStretch(1)
        self.edition_label = LineLabel()   # wraps only on a line of its own narrower than it
        filters.addWidget(self.edition_label)
        outer.addLayout(filters)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.empty_label)
        self.grid_host = QWidget()
        host = QVBoxLayout(self.grid_host)
        self.grid = QGridLayout()
        host.addLayout(self.grid)
        host.addStretch(1)
        self.scroll = QScrollArea()
        # The scroll area's viewport is made here, as Qt makes its own: asking Qt for its own
        # (``viewport()``) hands PySide a widget it has never wrapped, and finding that widget's
        # exact type creates every widget class of QtWidgets with its enums (dialogs, wizards,
        # calendars: about 70 classes), ~30 ms of a cold start that the first paint never uses.
        self.scroll_viewport = QWidget()
        self.scroll_viewport.setObjectName("qt_scrollarea_viewport")   # what style sheets know it by
        self.scroll_viewport.setAutoFillBackground(True)
        self.scroll.setViewport(self.scroll_viewport)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid_host)
        # Rows come into view by scrolling, or when the rows above them get shorter.
        self.scroll.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.scroll.verticalScrollBar().rangeChanged.connect(self._scrolled)
        outer.addWidget(self.scroll, 1)
        self._columns = 0
        self._later: tuple | None = None   # (statuses, trends, now) of tiles still to build
        self.page: door.OverviewPage | None = None   # the page drawn last
        self._asked = False
        self._read = tasks.LatestRead(self, self._draw_read)
        self.phoned: dict[str, phoned_door.Mark] = {}   # org code -> its phoned-in figures shown now
        self._phoned_read = tasks.LatestRead(self, self._phoned_marks)
        self.doubts: dict[str, tuple] = {}   # org code -> the open findings that doubt its figures shown now
        self._doubts_read = tasks.LatestRead(self, self._doubt_marks)
        tasks.manager().changed.connect(self._phoned_written)   # a call recorded here, hub or not
        # Drawn by refresh(), which the window calls when the view is first shown.

    def refresh(self) -> None:
        """Read the page and draw it. The first read is made here and drawn at once: the window's
        first paint shows the last known picture (plain SQL on the store's reader, which waits for
        no writer). Every later one runs off the UI thread and is drawn when it arrives."""
        now, store, last = self.clock(), self.store, self.page
        if not self._asked:
            self._asked = True
            self.phoned = phoned_door.marks(store, now)
            self.doubts = doubts_door.read_beside(store)
            self._draw(door.overview_page(store, now))
            return
        # The findings that doubt a figure with the page, in one read (as a read of its own: 16 ms a refresh, not 8).
        self._read(lambda: (door.overview_page(store, now, reuse=last), doubts_door.read_beside(store)))
        self._phoned_read(lambda: phoned_door.marks(store, now))

    def _phoned_written(self, changes) -> None:
        if "phoned_in" in changes.records and self._asked:
            store, now = self.store, self.clock()
            self._phoned_read(lambda: phoned_door.marks(store, now))
        if "data_quality" in changes.records and self._asked:   # the checks ran: findings opened or cleared
            store = self.store
            self._doubts_read(lambda: doubts_door.read_beside(store))

    def _phoned_marks(self, marks: dict) -> None:
        if marks != self.phoned:
            self.phoned = marks
            self._redraw()

    def _draw_read(self, got: tuple) -> None:
        page, self.doubts = got
        self._draw(page)

    def _doubt_marks(self, found: dict) -> None:
        if found != self.doubts:
            self.doubts = found
            self._redraw()

    def _redraw(self, *_args) -> None:
        """Draw the page in hand again (a filter or the sort order changed: nothing to read)."""
        if self.page is not None:
            self._draw(self.page)

    def _draw(self, page: door.OverviewPage) -> None:
        self.page = page
        now, providers, pillars, system, trends = (page.now, list(page.providers), page.pillars, page.system,
                                                   page.trends)
        names = {p.org_code: fmt.short_name(p.name) for p in providers if p.org_code}
        names.update({key: fmt.pillar_name(key) for key in self.pillar_badges})
        self.system_badge.set_status(system, now, rollup_detail(system, page.rollups.get("system"), names))
        self.system_badge.trend = trends["system"].text() if system and "system" in trends else ""
        for key, badge in self.pillar_badges.items():
            pillar = pillars.get(key)
            above = declared_above(pillar.shown_level, pillar.at_least_level,
                                   [p for p in providers if p.pillar == key]) if pillar is not None else ()
            detail = rollup_detail(pillar, page.rollups.get(key), names)
            # One short line kept on the badge even when the detail folds (a badge at 2x on a laptop has room for
            # one); "calculated" in the detail, the whole sentence in the accessible name.
            badge.set_status(pillar, now, "calculated " + detail if above else detail,
                             declared_words(above, shown=1, lead=False), declared_words(above))
            badge.trend = trends[key].text() if key in trends and key in pillars else ""
        self._fit_badges()
        shown = self._filter_and_sort(providers, trends, now)
        self._later = None
        first = self._first_screen_tiles() if not self.tiles and not self.isVisible() else len(shown)
        if len(shown) > first:
            # The very first draw, before the window is on screen: the tiles a first screen
            # can show now, the rest just after the first paint (``paintEvent``).
            shown, later = shown[:first], shown[first:]
            self._later = (later, trends, now)
        # A tile per shown provider: the one it had if it still fits (texts updated in place,
        # untouched when nothing it shows changed), else a new one.
        old = {id(t): t for t in self.tiles}
        by_key = {(t.status.scope, t.status.org_code, t.status.pillar): t for t in self.tiles}
        # Showing a label on a shown tile (a driver line that came back) makes Qt lay out every
        # ancestor at once, the whole grid of tiles included: ~10 ms each time. With the grid
        # host's layout off while tiles change, it is laid out once, when the event loop asks.
        host = self.grid_host.layout()
        host.setEnabled(False)
        try:
            tiles = [self._tile_for(p, trends, now, by_key) for p in shown]
        finally:
            host.setEnabled(True)
        kept = {id(t) for t in tiles}
        for tile in old.values():
            if id(tile) not in kept:
                tile.setParent(None)
                tile.deleteLater()
        self.tiles = tiles
        self._place(moved=[id(t) for t in tiles] != list(old))
        self.empty_label.setVisible(not providers)
        if providers and not shown:
            self.empty_label.setText("No provider matches these filters.")
            self.empty_label.setVisible(True)
        else:
            self.empty_label.setText(EMPTY_TEXT)
        editions = {(p.edition, p.verified) for p in providers}
        today = now.astimezone(UK).date()
        self.edition_label.setText("; ".join(edition_words(e, v, today) for e, v in sorted(editions)))
        self.drawn.emit()

    def _tile_for(self, p, trends: dict, now: datetime, by_key: dict) -> ProviderTile:
        trend = trends.get(p.org_code)
        step = self.page.next_levels.get(p.org_code) if self.page is not None else None
        texts = _tile_texts(p, now, trend.text() if trend else "", step, self.phoned.get(p.org_code),
                            self.doubts.get(p.org_code, ()))
        tile = by_key.pop((p.scope, p.org_code, p.pillar), None)
        if tile is not None:
            tile.update_texts(p, texts)
        else:
            tile = ProviderTile(p, now, self.grid_host, texts)
            tile.activated.connect(self.provider_activated)
        return tile

    @staticmethod
    def _first_screen_tiles() -> int:
        """How many tiles the largest first screen shows (rows of at least 200 px), plus a row."""
        screen = QApplication.primaryScreen()
        size = screen.availableSize() if screen is not None else None
        if size is None or size.width() <= 0:
            return FIRST_TILES_MIN
        columns = max(1, size.width() // (TILE_MIN_WIDTH + 6))
        return max(FIRST_TILES_MIN, columns * (size.height() // 200 + 1))

    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if self._later is not None:
            QTimer.singleShot(0, self._build_later)   # after this paint has finished

    def _build_later(self) -> None:
        """The tiles the first draw left for after the first paint (a refresh since drew them)."""
        if self._later is None:
            return
        later, trends, now = self._later
        self._later = None
        self.tiles = self.tiles + [self._tile_for(p, trends, now, {}) for p in later]
        self._place(moved=True)

    def _filter_and_sort(self, providers: list, trends: dict, now: datetime) -> list:
        sector = self.sector_filter.currentData()
        level = self.level_filter.currentData()
        shown = [p for p in providers if sector is None or p.sector == sector]
        if level == "attention":
            shown = [p for p in shown if p.shown_level is None
                     or fmt.is_stale(now, p.assessed_at, stale_limits.current().opel)]
        elif level is not None:
            shown = [p for p in shown if (p.shown_level or p.at_least_level or 0) >= level]
        order = self.sort_order.currentData()
        if order == "name":
            shown.sort(key=lambda p: p.name.casefold())
        elif order == "age":
            shown.sort(key=lambda p: p.assessed_at)
        elif order == "trend":
            def rise(p):
                t = trends.get(p.org_code)
                return -((t.now_level - t.then_level) if t and t.direction != "unknown" else -99)
            shown.sort(key=rise)   # stable: worst first within the same rise
        return shown

    def _place(self, moved: bool = True) -> None:
        """Tiles into the grid, worst first, at the width the view has now; only what changed."""
        columns, width = self._tile_width()
        if moved or columns != self._columns or self.grid.count() != len(self.tiles):
            for tile in self.tiles:
                self.grid.removeWidget(tile)
            for i, tile in enumerate(self.tiles):
                self.grid.addWidget(tile, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
        self._columns = columns   # what the grid holds now
        if not self.isVisible():   # not laid out yet: the width is a guess; fitted when shown
            return
        self._fit_visible(width)

    def _fit_visible(self, width: int) -> None:
        """Measure the heights of the tiles in rows that are on screen (or above it).

        Every tile gets its width at once (the grid's columns depend on it), but measuring
        wrapped labels is most of a refresh when every tile's figures changed, and at the
        room's 1366x768 only two of eight rows show: the others are measured when they
        scroll into view (``_scrolled``), before they are painted."""
        columns = max(1, self._columns)
        now_theme = theme.current()
        margins = self.grid_host.layout().contentsMargins()
        bottom = (self.scroll.verticalScrollBar().value() + self.scroll_viewport.height()
                  + FIT_AHEAD_PX - margins.top())
        spacing = max(0, self.grid.verticalSpacing())
        row_top = 0
        for start in range(0, len(self.tiles), columns):
            row = self.tiles[start:start + columns]
            on_screen = row_top < bottom
            for tile in row:
                if tile.fitted == (width, now_theme):
                    continue
                if on_screen:
                    self._fit(tile, width)
                elif tile.minimumWidth() != width or tile.maximumWidth() != width:
                    tile.setFixedWidth(width)   # the column's width now; the height when shown
            if on_screen:   # (a row below the screen has every later one below it: no need to measure them)
                row_top += max(t.minimumHeight() or t.sizeHint().height() for t in row) + spacing

    def _scrolled(self, *_args) -> None:
        if self.tiles and self.isVisible():
            self._place(moved=False)   # a scroll bar that came or went may change the columns too

    def _tile_width(self) -> tuple[int, int]:
        spacing = max(0, self.grid.horizontalSpacing())
        avail = max(TILE_MIN_WIDTH, self.scroll_viewport.width() - 24)
        columns = max(1, (avail + spacing) // (TILE_MIN_WIDTH + spacing))
        return columns, (avail - (columns - 1) * spacing) // columns

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.page is not None:
            self._fit_badges()
        if not self.tiles:
            return
        self._place(moved=False)  # new columns or widths; the data is as last drawn

    def _fit_badges(self) -> None:
        """The system's and sectors' badges whole: at twice the text on a 1366x768 laptop their lines (the level,
        the score and what sets it, "no data since ...") needed 390 pixels of the 527-pixel page, the layout gave
        them about 300 and cut each at its "no data since" line. Where the badges, the filters and four lines of
        the providers' tiles are taller than the page, each badge's detail (the score, what sets it) goes to its
        tooltip; the level, its words and the data's age keep their lines."""
        badges = [self.system_badge, *self.pillar_badges.values()]
        width = (self.width() - 24) // len(badges)   # each badge's share less margins and spacing, near enough
        if width <= 0:
            return
        outer = self.layout()
        margins = outer.contentsMargins()
        filters = outer.itemAt(1).layout()
        filters_h = (filters.heightForWidth(self.width()) if filters.hasHeightForWidth()
                     else filters.sizeHint().height())
        room = (self.height() - margins.top() - margins.bottom() - 3 * outer.spacing() - filters_h
                - 4 * self.fontMetrics().height())
        for b in badges:
            b.fit(max(b.width(), width))
            b.fold(False)
        fold = max(b.heightForWidth(max(b.width(), width)) for b in badges) > room
        for b in badges:
            b.fold(fold)
            trend = getattr(b, "trend", "")
            b.setToolTip("\n".join(t for t in (trend, b.detail if fold else "") if t))

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self.tiles:
            self._place(moved=False)  # tiles drawn while hidden are fitted at the real width now

    @staticmethod
    def _fit(tile: ProviderTile, width: int) -> None:
        # A fixed width lets each tile ask for the height its wrapped lines need (a grid does
        # not pass height-for-width on, and would clip them); polish first so the theme's
        # font size is the one measured.
        tile.ensurePolished()
        for label in tile.findChildren(QLabel):
            label.ensurePolished()
        tile.setFixedWidth(width)
        tile.fit_age(width)
        tile.setMinimumHeight(tile.layout().totalHeightForWidth(width))
        tile.fitted = (width, theme.current())

    def on_cycle(self, result) -> None:
        if self.KINDS & set(result.kinds):
            self.refresh()
