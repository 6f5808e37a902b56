"""System overview: the system and pillar levels, then a tile per provider.

Reads the replica only (``models.queries``); redraws when a sync cycle says
OPEL assessments or organisations changed, and once a minute for data ages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
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

from models import queries
from models.catalogue import load_catalogue
from ui import format as fmt
from ui import theme
from ui.theme import OPEL_WORDS, badge_css, opel_colours, opel_label

STALE_AFTER = timedelta(minutes=60)
TILE_MIN_WIDTH = 250
SECTORS = [("All sectors", None), ("Acute", "acute"), ("Community", "community"),
           ("Mental health", "mental_health"), ("NHS 111", "nhs111")]


@lru_cache(maxsize=1)
def _metric_names() -> dict[str, str]:
    return {code: m.name for code, m in load_catalogue().metrics.items()}


def driver_text(d: queries.Driver) -> str:
    name = _metric_names().get(d.key, d.key)
    if d.problem:
        return f"{name}: {d.problem}"
    if d.value is None:
        return name
    return f"{name}: {d.value:g} ({d.points:g} pts)" if d.points is not None else f"{name}: {d.value:g}"


class LevelBadge(QLabel):
    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.title = title
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(150)
        self.set_status(None)

    def set_status(self, status: queries.OpelStatus | None) -> None:
        level = status.shown_level if status else None
        at_least = status.at_least_level if status else None
        bg, fg = opel_colours(level)
        word = OPEL_WORDS.get(level or 0, "")
        self.setText(f"<b>{self.title}</b><br><span style='font-size:x-large'>"
                     f"{opel_label(level, at_least)}</span><br>{word}")
        self.setStyleSheet(badge_css((bg, fg), radius=6, padding="6px", bold=False))
        self.setAccessibleName(f"{self.title}: {opel_label(level, at_least)}")


class ProviderTile(QFrame):
    """A provider at a glance; click it (or focus it and press Enter) to see why."""

    activated = Signal(str)

    def __init__(self, status: queries.OpelStatus, now: datetime, parent=None) -> None:
        super().__init__(parent)
        self.status = status
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("providerTile")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Open this provider's drill-down (Enter)")
        level = status.shown_level
        bg, fg = opel_colours(level)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        head = QLabel(f"<b>{status.name}</b> <span style='color:{theme.current().muted}'>"
                      f"{status.org_code or ''}</span>")
        head.setWordWrap(True)
        badge = QLabel(opel_label(level, status.at_least_level))
        badge.setStyleSheet(badge_css((bg, fg)))
        badge.setObjectName("levelBadge")
        layout.addWidget(head)
        layout.addWidget(badge)
        if status.declared_level and status.level and status.declared_level != status.level:
            layout.addWidget(QLabel(f"Declared {status.declared_level}, calculated {status.level}: "
                                    f"{status.override_reason or ''}"))
        for d in status.drivers[:3]:
            line = QLabel(driver_text(d))
            line.setWordWrap(True)
            line.setToolTip(f"{d.key}, band {d.band}" if d.band else d.key)
            layout.addWidget(line)
        stale = fmt.is_stale(now, status.assessed_at, STALE_AFTER)
        age = QLabel(("STALE · " if stale else "") + f"updated {fmt.age(now, status.assessed_at)} "
                     f"({fmt.local_time(status.assessed_at)})")
        age.setObjectName("staleLabel" if stale else "ageLabel")
        age.setWordWrap(True)
        layout.addWidget(age)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setAccessibleName(f"{status.name}: {opel_label(level, status.at_least_level)}, "
                               f"updated {fmt.age(now, status.assessed_at)}")
        self.setAccessibleDescription("Press Enter to open the provider drill-down")

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
        filters = QHBoxLayout()
        self.sector_filter = QComboBox()
        self.sector_filter.setAccessibleName("Filter by sector")
        for title, key in SECTORS:
            self.sector_filter.addItem(title, key)
        self.sector_filter.currentIndexChanged.connect(self.refresh)
        show = QLabel("&Show:")
        show.setBuddy(self.sector_filter)
        filters.addWidget(show)
        filters.addWidget(self.sector_filter)
        filters.addStretch(1)
        self.edition_label = QLabel()
        filters.addWidget(self.edition_label)
        outer.addLayout(filters)
        self.empty_label = QLabel("No provider data yet. The picture appears here as soon as the "
                                  "first sync with the hub completes.")
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
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid_host)
        outer.addWidget(self.scroll, 1)
        self._columns = 0
        # Drawn by refresh(), which the window calls when the view is first shown.

    def refresh(self) -> None:
        now = self.clock()
        with self.store.session() as s:
            providers = queries.latest_opel(s, "provider")
            pillars = {p.pillar: p for p in queries.latest_opel(s, "pillar")}
            system = queries.latest_opel(s, "system")
        self.system_badge.set_status(system[0] if system else None)
        for key, badge in self.pillar_badges.items():
            badge.set_status(pillars.get(key))
        sector = self.sector_filter.currentData()
        shown = [p for p in providers if sector is None or p.sector == sector]
        for tile in self.tiles:
            tile.setParent(None)
            tile.deleteLater()
        columns, width = self._tile_width()
        self.tiles = [ProviderTile(p, now, self.grid_host) for p in shown]
        for i, tile in enumerate(self.tiles):
            tile.activated.connect(self.provider_activated)
            self._fit(tile, width)
            self.grid.addWidget(tile, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
        self.empty_label.setVisible(not providers)
        editions = {(p.edition, p.verified) for p in providers}
        self.edition_label.setText("; ".join(
            f"OPEL table {e}" + ("" if v else " — UNVERIFIED TABLE") for e, v in sorted(editions)))

    def _tile_width(self) -> tuple[int, int]:
        spacing = max(0, self.grid.horizontalSpacing())
        avail = max(TILE_MIN_WIDTH, self.scroll.viewport().width() - 24)
        columns = max(1, (avail + spacing) // (TILE_MIN_WIDTH + spacing))
        self._columns = columns
        return columns, (avail - (columns - 1) * spacing) // columns

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if not self.tiles:
            return
        before = self._columns
        columns, width = self._tile_width()
        if columns != before:
            self.refresh()
            return
        for tile in self.tiles:
            self._fit(tile, width)

    @staticmethod
    def _fit(tile: ProviderTile, width: int) -> None:
        # A fixed width lets each tile ask for the height its wrapped lines need (a grid does
        # not pass height-for-width on, and would clip them); polish first so the theme's
        # font size is the one measured.
        tile.ensurePolished()
        for label in tile.findChildren(QLabel):
            label.ensurePolished()
        tile.setFixedWidth(width)
        tile.setMinimumHeight(tile.layout().totalHeightForWidth(width))

    def on_cycle(self, result) -> None:
        if self.KINDS & set(result.kinds):
            self.refresh()
