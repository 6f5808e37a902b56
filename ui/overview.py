"""System overview: the system and pillar levels, then a tile per provider.

Reads the replica only (``models.queries``); redraws when a sync cycle says
OPEL assessments or organisations changed, and once a minute for data ages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt
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
from ui.theme import OPEL_WORDS, opel_colours, opel_label

STALE_AFTER = timedelta(minutes=60)
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
        self.setText(f"<b>{self.title}</b><br><span style='font-size:15pt'>"
                     f"{opel_label(level, at_least)}</span><br>{word}")
        self.setStyleSheet(f"background:{bg};color:{fg};border-radius:6px;padding:6px;")
        self.setAccessibleName(f"{self.title}: {opel_label(level, at_least)}")


class ProviderTile(QFrame):
    def __init__(self, status: queries.OpelStatus, now: datetime, parent=None) -> None:
        super().__init__(parent)
        self.status = status
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("providerTile")
        level = status.shown_level
        bg, fg = opel_colours(level)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        head = QLabel(f"<b>{status.name}</b> <span style='color:#666'>{status.org_code or ''}</span>")
        head.setWordWrap(True)
        badge = QLabel(opel_label(level, status.at_least_level))
        badge.setStyleSheet(f"background:{bg};color:{fg};font-weight:bold;padding:3px 8px;"
                            "border-radius:4px;")
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
        age.setObjectName("ageLabel")
        age.setStyleSheet("color:#b71c1c;font-weight:bold;" if stale else "color:#555;")
        layout.addWidget(age)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setAccessibleName(f"{status.name}: {opel_label(level, status.at_least_level)}, "
                               f"updated {fmt.age(now, status.assessed_at)}")


class OverviewView(QWidget):
    """The whole system's pressure at a glance."""

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
        filters.addWidget(QLabel("Show:"))
        filters.addWidget(self.sector_filter)
        filters.addStretch(1)
        self.edition_label = QLabel()
        filters.addWidget(self.edition_label)
        outer.addLayout(filters)
        self.empty_label = QLabel("No provider data yet. The picture appears here as soon as the "
                                  "first sync with the hub completes.")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.empty_label)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        outer.addWidget(scroll, 1)
        self.refresh()

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
        columns = max(1, self.width() // 260)
        self.tiles = [ProviderTile(p, now) for p in shown]
        for i, tile in enumerate(self.tiles):
            self.grid.addWidget(tile, i // columns, i % columns)
        self.grid.setRowStretch(self.grid.rowCount(), 1)
        self.empty_label.setVisible(not providers)
        editions = {(p.edition, p.verified) for p in providers}
        self.edition_label.setText("; ".join(
            f"OPEL table {e}" + ("" if v else " — UNVERIFIED TABLE") for e, v in sorted(editions)))

    def on_cycle(self, result) -> None:
        if {"opel_assessment", "organisation"} & set(result.kinds):
            self.refresh()
