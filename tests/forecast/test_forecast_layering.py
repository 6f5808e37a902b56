"""A forecast never feeds an OPEL score, an alert or a report figure (H-09): checked on the package
graph, transitively.

Every module of ``models/`` and ``sync/`` is parsed with ``ast`` (imports at the top, inside
functions, relative ones, and ``from package import module``), and the import graph followed to its
end.  A forecast is anything under ``models/forecast`` and the door's two forecast reads,
``models.service.forecast`` and ``models.service.week_ahead``.  Only these may reach one:

- the views: ``ui/``, the ``forecast`` command in ``scc_desktop/`` and the hub's pages
  (``sync/hub/web``, /m/'s board and week ahead), each of which shows a forecast as one;
- the brief's two sections that are forecasts and say so, ``week_part`` ("Week ahead") and
  ``next_day_part`` ("Next 24 hours");
- the modules that put those together (the brief, the reports' registry and the folders it writes,
  the hub's app and server), and those only through the sections and the pages: with the sections
  and the pages taken out of the graph, they reach no forecast.

Everything else (the rules that score OPEL, the queries, the records and their alerts, the
replica, the other reports' figures, the hub's intake, OPEL, alerts and escalation, sync) reaches
none."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("models", "sync")
FORECAST = ("models.forecast", "models.service.forecast", "models.service.week_ahead")
# May import a forecast: each shows it as a forecast.
SECTIONS = ("models.reports.week_part", "models.reports.next_day_part")
VIEWS = ("sync.hub.web",)
# May reach a forecast, but only through a section or a view: they put whole sections or pages together.
COMPOSERS = ("models.reports.brief", "models.service.reports", "models.service.report_folder",
             "models.service.bc_pack_folder", "sync.hub.app", "sync.hub.server")
# Where the figures of OPEL, alerts and reports are worked out: named so the test fails if one moves away.
MUST_BE_CLEAR = ("models.rules.opel", "models.rules.opel_rollup", "models.rules.alert_engine",
                 "models.queries.opel_latest", "models.records.alerts", "models.records.local_alerts",
                 "models.records.housekeeping", "models.reports.reads", "models.reports.period_reads",
                 "models.reports.handover", "models.reports.sitrep", "models.reports.board",
                 "models.reports.bc_pack", "models.service.housekeeping", "models.service.alerts",
                 "sync.hub.opel", "sync.hub.alerts", "sync.hub.escalation", "sync.hub.intake")


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def modules(root: Path = ROOT) -> dict[str, tuple[Path, bool]]:
    """Every module of the scanned packages: dotted name -> (file, is a package)."""
    found = {}
    for package in SCANNED:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Each module's direct imports among the scanned modules.  ``import a.b.c`` and ``from a.b
    import c`` also import the packages ``a`` and ``a.b`` (their ``__init__`` runs)."""
    known = modules(root)
    graph = {}
    for name, (path, is_package) in known.items():
        package = name if is_package else name.rpartition(".")[0]
        targets: list[str] = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets += [module] + [f"{module}.{alias.name}" for alias in node.names]
        edges = set()
        for target in targets:
            parts = target.split(".")
            edges.update(p for p in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if p in known)
        edges.discard(name)
        graph[name] = edges
    return graph


def forecast_chain(graph: dict[str, set[str]], start: str, cut: tuple[str, ...] = ()) -> list[str] | None:
    """The shortest import chain from ``start`` to a forecast module, not passing through ``cut``."""
    came_from: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        here = queue.pop(0)
        if here != start and _under(here, FORECAST):
            chain = [here]
            while came_from[chain[-1]] is not None:
                chain.append(came_from[chain[-1]])
            return chain[::-1]
        for there in sorted(graph[here]):
            if there not in came_from and not _under(there, cut):
                came_from[there] = here
                queue.append(there)
    return None


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_no_module_but_the_views_and_forecast_sections_reaches_a_forecast(graph):
    guarded = [m for m in graph if not _under(m, FORECAST + SECTIONS + VIEWS + COMPOSERS)]
    assert len(guarded) > 250            # the whole of models/ and sync/ (265 modules in December 2026)
    reached = {m: chain for m in guarded if (chain := forecast_chain(graph, m))}
    assert reached == {}, "\n".join(" -> ".join(chain) for chain in reached.values())


def test_the_modules_working_out_opel_alerts_and_report_figures_are_scanned_and_clear(graph):
    missing = [m for m in MUST_BE_CLEAR if m not in graph]
    assert missing == []
    assert {m: forecast_chain(graph, m) for m in MUST_BE_CLEAR} == dict.fromkeys(MUST_BE_CLEAR)


def test_the_brief_and_the_hub_reach_a_forecast_only_through_its_sections_and_pages(graph):
    for composer in COMPOSERS:
        assert composer in graph
        assert forecast_chain(graph, composer, cut=SECTIONS + VIEWS) is None, composer
    # The sections are the brief's own: if the brief stopped using them, this list would be stale.
    assert forecast_chain(graph, "models.reports.brief")[1] in SECTIONS
    for section in SECTIONS:
        assert forecast_chain(graph, section) is not None, section


def test_the_graph_follows_imports_inside_functions_relative_ones_and_from_package_import_module(tmp_path):
    """The scan would miss a forecast reached in any of these ways without this."""
    for package, text in {
        "models/__init__.py": "",
        "models/forecast/__init__.py": "",
        "models/forecast/model.py": "",
        "models/rules/__init__.py": "",
        "models/rules/a.py": "def f():\n    from models.forecast import model\n",
        "models/rules/b.py": "from . import c\n",
        "models/rules/c.py": "from ..forecast import model\n",
        "models/rules/d.py": "import models.rules.a\n",
        "models/rules/e.py": "x = 1\n",
        "sync/__init__.py": "",
    }.items():
        path = tmp_path / package
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    small = import_graph(tmp_path)
    assert forecast_chain(small, "models.rules.a") == ["models.rules.a", "models.forecast"]
    assert forecast_chain(small, "models.rules.b") == ["models.rules.b", "models.rules.c", "models.forecast"]
    assert forecast_chain(small, "models.rules.d") == ["models.rules.d", "models.rules.a", "models.forecast"]
    assert forecast_chain(small, "models.rules.e") is None
