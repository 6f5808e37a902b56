"""Colours and the application's look: light, dark and high-contrast themes.

Colour never stands alone: every level is also shown as its number and word,
every flag as text. The status colours (OPEL, REAP, CRITCON, handover bands,
met/not met) are the same in every theme so the room learns them once; the
themes change the surroundings, and level badges carry a border so a black
OPEL 4 stays distinct on a dark background.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from string import Template

import resources
from models.rules.opel_levels import opel_words

# Conventional OPEL colours (1 green, 2 amber, 3 red, 4 black); each text colour
# passes WCAG AA contrast on its background.
OPEL_COLOURS = {
    1: ("#1e7d32", "#ffffff"),
    2: ("#f2b705", "#111111"),
    3: ("#c62828", "#ffffff"),
    4: ("#111111", "#ffffff"),
}
UNKNOWN_COLOURS = ("#9e9e9e", "#111111")
OPEL_WORDS = opel_words()   # resources/levels/opel.toml: OPEL's own words, never REAP's

# Handover bands by severity (0 = fine ... 4 = serious delay), from models.rules.handover_bands.
SEVERITY_COLOURS = {
    0: ("#1e7d32", "#ffffff"),
    1: ("#f2b705", "#111111"),
    2: ("#ef6c00", "#111111"),
    3: ("#c62828", "#ffffff"),
    4: ("#111111", "#ffffff"),
}
# CRITCON 0 (normal) to 4; the same ladder of colours, the number always shown.
CRITCON_COLOURS = {
    0: ("#1e7d32", "#ffffff"),
    1: ("#9ccc65", "#111111"),
    2: ("#f2b705", "#111111"),
    3: ("#c62828", "#ffffff"),
    4: ("#111111", "#ffffff"),
}
MET_COLOURS = ("#1e7d32", "#ffffff")
NOT_MET_COLOURS = ("#c62828", "#ffffff")
NO_FIGURE_COLOURS = ("#9e9e9e", "#111111")
CSP_COLOURS = ("#37474f", "#ffffff")
# The Director on-call pinned first in the contacts (NHS purple: apart from every theme's selection
# highlight, so the frame of a selected row shows on it; white text passes WCAG AA).
ON_CALL_COLOURS = ("#330072", "#ffffff")


def opel_colours(level: int | None) -> tuple[str, str]:
    """(background, text) for a level; grey when the level is not known."""
    return OPEL_COLOURS.get(level or 0, UNKNOWN_COLOURS)


def opel_label(level: int | None, at_least: int | None = None) -> str:
    if level:
        return f"OPEL {level}"
    if at_least:
        return f"OPEL ≥{at_least} (incomplete)"
    return "OPEL — (no data)"


def severity_colours(severity: int | None) -> tuple[str, str]:
    return SEVERITY_COLOURS.get(severity, UNKNOWN_COLOURS) if severity is not None else UNKNOWN_COLOURS


def critcon_colours(level: int | None) -> tuple[str, str]:
    return CRITCON_COLOURS.get(level, UNKNOWN_COLOURS) if level is not None else UNKNOWN_COLOURS


def met_colours(met: bool | None) -> tuple[str, str]:
    return NO_FIGURE_COLOURS if met is None else (MET_COLOURS if met else NOT_MET_COLOURS)


@dataclass(frozen=True)
class Theme:
    key: str
    title: str
    window: str
    base: str
    alt_base: str
    text: str
    muted: str
    button: str
    border: str
    highlight: str
    highlight_text: str
    focus: str
    stale: str
    badge_border: str
    chart_bg: str
    chart_fg: str
    chart_grid: float   # grid line opacity 0-1
    # Line colours for charts, distinct on chart_bg and from each other (no two reds: a maroon
    # beside a red read as one provider); tests/ui/test_view_polish.py checks the differences.
    series: tuple[str, ...] = ()
    border_px: int = 1
    focus_px: int = 2
    font_pt: float = 10.0
    # Text of a control that cannot be used now (drawn with a dashed border as well, so the
    # high-contrast theme, which keeps full-contrast text, still shows it).
    disabled: str = "#80868c"

    @property
    def dark(self) -> bool:
        return self.key != "light"


THEMES: dict[str, Theme] = {
    "light": Theme("light", "Light", window="#eef0f2", base="#ffffff", alt_base="#f5f7f9",
                   text="#111111", muted="#4a4a4a", button="#e2e5e9", border="#b0b6bd",
                   highlight="#005eb8", highlight_text="#ffffff", focus="#005eb8", stale="#b71c1c",
                   badge_border="#6b7177", chart_bg="#ffffff", chart_fg="#222222", chart_grid=0.25,
                   series=("#005eb8", "#d5281b", "#007f3b", "#330072", "#ed8b00", "#00a9ce", "#e7298a",
                           "#768692", "#8a5a00", "#78be20")),
    "dark": Theme("dark", "Dark", window="#1d2024", base="#272b30", alt_base="#2f343a",
                  text="#eceff1", muted="#b8c0c8", button="#353b42", border="#5b646e",
                  highlight="#41b6e6", highlight_text="#0b0b0b", focus="#41b6e6", stale="#ff8a80",
                  badge_border="#cfd8dc", chart_bg="#272b30", chart_fg="#eceff1", chart_grid=0.3,
                  series=("#6cb4ff", "#ff6e6e", "#66d17a", "#c9a0ff", "#ffb74d", "#4dd0e1", "#ff80c0",
                          "#cfd8dc", "#bcaaa4", "#d4e157")),
    "high_contrast": Theme("high_contrast", "High contrast", window="#000000", base="#000000",
                           alt_base="#141414", text="#ffffff", muted="#ffffff", button="#000000",
                           border="#ffffff", highlight="#ffff00", highlight_text="#000000",
                           focus="#ffff00", stale="#ffff00", badge_border="#ffffff",
                           chart_bg="#000000", chart_fg="#ffffff", chart_grid=0.45,
                           series=("#00ffff", "#ff5555", "#55ff55", "#ff55ff", "#ffaa00", "#ffffff",
                                   "#8888ff", "#ffff55", "#c08040", "#999999"),
                           border_px=2, focus_px=3, font_pt=11.0, disabled="#ffffff"),
}

_current: Theme = THEMES["light"]


def current() -> Theme:
    """The theme in use; views read it when they build their widgets."""
    return _current


def set_current(key: str, scale: float = 1.0) -> Theme:
    global _current
    if key not in THEMES:
        raise KeyError(f"unknown theme {key!r}; choose one of {', '.join(THEMES)}")
    base = THEMES[key]
    _current = replace(base, font_pt=round(base.font_pt * scale, 1))
    return _current


def stylesheet(theme: Theme) -> str:
    """The application stylesheet (``resources/ui/app.qss``) filled with the theme's colours."""
    template = Template(resources.path("ui", "app.qss").read_text(encoding="utf-8"))
    values = {k: str(v) for k, v in asdict(theme).items()}
    values["empty_pt"] = str(round(theme.font_pt * 1.3, 1))
    values["title_pt"] = str(round(theme.font_pt * 1.4, 1))
    return template.substitute(values)


def palette(theme: Theme):
    """A QPalette matching the theme (for widgets the stylesheet does not reach)."""
    from PySide6.QtGui import QColor, QPalette

    p = QPalette()
    role = QPalette.ColorRole
    for r, colour in ((role.Window, theme.window), (role.Base, theme.base),
                      (role.AlternateBase, theme.alt_base), (role.Text, theme.text),
                      (role.WindowText, theme.text), (role.ButtonText, theme.text),
                      (role.Button, theme.button), (role.Highlight, theme.highlight),
                      (role.HighlightedText, theme.highlight_text), (role.ToolTipBase, theme.base),
                      (role.ToolTipText, theme.text), (role.PlaceholderText, theme.muted),
                      (role.Mid, theme.border)):
        p.setColor(r, QColor(colour))
    return p


def line_colour(colour: str) -> str:
    """A status colour for a chart line: black becomes the chart's foreground on a dark chart."""
    t = current()
    return t.chart_fg if t.dark and colour.lower() in ("#111111", "#000000") else colour


def badge_css(colours: tuple[str, str], *, radius: int = 4, padding: str = "3px 8px",
              bold: bool = True) -> str:
    """Inline style for a coloured status label, with the theme's badge border."""
    bg, fg = colours
    t = current()
    weight = "font-weight:bold;" if bold else ""
    return (f"background:{bg};color:{fg};{weight}padding:{padding};border-radius:{radius}px;"
            f"border:{t.border_px}px solid {t.badge_border};")


BANNER_STYLE = {
    "offline": "background:#b71c1c;color:#ffffff;font-weight:bold;padding:6px;",
    "feed_stale": "background:#f2b705;color:#111111;font-weight:bold;padding:6px;",
    "joining": "background:#0b4f8a;color:#ffffff;font-weight:bold;padding:6px;",   # news, not a fault
}
