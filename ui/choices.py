"""The window's choices, declared once: its views (key, tab title, class), its themes and its
text sizes.  No Qt here: the command line and the settings check a name against these before
Qt loads, and the window builds its tabs and menus from the same tuples."""

from __future__ import annotations

ACTIONS_TITLE = "Actions and al&erts"
ALERTS_TITLE = "Ale&rt centre"

# (key for --view and settings, tab title with its Alt key, "module:class" imported when first shown).
# Views other than the overview are imported and built when first shown (or asked for), so a start
# paints the overview without loading the chart library (about a second of imports).
VIEWS = (("system", "&System picture", "ui.system_view:SystemView"),   # first: the wall screen
         ("overview", "&Overview", "ui.overview:OverviewView"),
         ("provider", "&Provider", "ui.provider_view:ProviderView"),
         ("ambulance", "&Ambulance", "ui.ambulance_view:AmbulanceView"),
         ("offload", "O&ffload", "ui.offload_view:OffloadView"),
         ("critical-care", "&Critical care", "ui.critcon_view:CritconView"),
         ("contacts", "Co&ntacts", "ui.records.contacts_view:ContactsView"),
         ("transfers", "&Transfers", "ui.records.transfers_view:TransfersView"),
         ("decisions", "&Decision log", "ui.records.decisions_view:DecisionsView"),
         ("actions", ACTIONS_TITLE, "ui.actions_view:ActionsView"),
         ("alerts", ALERTS_TITLE, "ui.alerts_view:AlertsView"),
         ("quality", "Data &quality", "ui.quality_view:QualityView"),
         ("week-ahead", "&Week ahead", "ui.week_ahead_view:WeekAheadView"))
VIEW_KEYS = tuple(key for key, _title, _path in VIEWS)

THEME_KEYS = ("light", "dark", "high_contrast")   # ui.theme.THEMES holds their colours, in this order
TEXT_SCALES = (0.9, 1.0, 1.25, 1.5, 2.0, 2.5)      # Ctrl++ / Ctrl+- step through these
