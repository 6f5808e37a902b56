"""``scc-desktop opel``: score, check and show OPEL tables.

- ``opel score --pillar acute [--table FILE]``: JSON object of parameter values
  on stdin, JSON result on stdout. Missing, invalid or unknown parameters are
  named on stderr and the exit code is 2 (the JSON still shows the floor).
- ``opel check-table FILE``: validate a provider table or roll-up file and
  print every problem (exit 0 valid, 2 invalid).
- ``opel show --pillar acute [--table FILE]``: the table in readable form.

Every output names the table's edition and carries "UNVERIFIED TABLE" until
the file says ``verified = true``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scc_desktop.errors import UserError

if TYPE_CHECKING:
    from models.rules.opel import OpelResult
    from models.rules.opel_table import OpelTable

EDGE_HELP = "Edges: '[' or ']' includes a value exactly on the edge; '(' or ')' excludes it."


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("opel", help="score OPEL parameters; check or show OPEL tables",
                                   description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="opel_command", metavar="SUBCOMMAND")
    parser.set_defaults(handler=lambda args: _usage(parser))

    p = sub.add_parser("score", help="score a JSON object of parameter values read from stdin")
    _table_args(p)
    p.set_defaults(handler=_score)

    p = sub.add_parser("check-table", help="validate a table file and list every problem")
    p.add_argument("file", type=Path, help="OPEL provider table or roll-up (system) TOML file")
    p.set_defaults(handler=_check_table)

    p = sub.add_parser("show", help="print a table in readable form")
    _table_args(p)
    p.set_defaults(handler=_show)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _table_args(p: argparse.ArgumentParser) -> None:
    # The scoring and roll-up modules load when an opel command runs: every other command,
    # --help included, builds this parser (a third of the command line's start-up was them).
    from models.rules.opel_table import shipped_pillars

    p.add_argument("--pillar", choices=shipped_pillars(), help="use the bundled table for this pillar")
    p.add_argument("--table", type=Path, metavar="FILE", help="use this table file instead of the bundled one")


def _load(args: argparse.Namespace) -> OpelTable:
    from models.rules.opel_table import load_shipped, load_table
    from models.rules.tabledata import TableError

    if args.table is None and args.pillar is None:
        raise UserError("say which table to use: --pillar PILLAR (bundled) or --table FILE", 2)
    try:
        table = load_table(args.table) if args.table is not None else load_shipped(args.pillar)
    except TableError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems)
        raise UserError("table file is not valid; fix these and run "
                        f"'scc-desktop opel check-table':\n{lines}", 2) from None
    if args.pillar is not None and table.pillar != args.pillar:
        raise UserError(f"{args.table} is a '{table.pillar}' table but --pillar {args.pillar} was given", 2)
    return table


def _read_values() -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise UserError(f"stdin JSON gives parameter '{key}' more than once", 2)
            seen[key] = value
        return seen
    text = sys.stdin.read()
    try:
        values = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise UserError(f"stdin is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                        'expected an object such as {"mean_handover_minutes": 32.5}', 2) from None
    if not isinstance(values, dict):
        raise UserError("stdin must be a JSON object of parameter values, "
                        'e.g. {"mean_handover_minutes": 32.5}', 2)
    return values


def _plain(value: Any) -> Any:
    """JSON-safe copy of an input value (NaN/infinity become text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def result_json(table: OpelTable, result: OpelResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "edition": table.edition,
        "verified": table.verified,
        "table_status": table.header.marker,
        "edition_period": table.header.out_of_period(_uk_today()),   # null: within its period, or none given
        "pillar": table.pillar,
        "table_file": str(table.path),
        "complete": result.complete,
        "total": result.total,
        "level": result.level,
    }
    if not result.complete:
        out.update(at_least_level=result.at_least_level, at_most_level=result.at_most_level,
                   partial_total=result.partial_total)
    out["parameters"] = [{
        "key": r.key, "name": r.name, "value": r.value, "unit": r.unit, "band": r.band, "points": r.points,
        "weight": r.weight, "weighted_points": r.weighted_points,
        "next_worse": None if r.next_worse is None else {
            "threshold": r.next_worse.value, "direction": r.next_worse.direction,
            "band": r.next_worse.band, "points": r.next_worse.points},
    } for r in result.parameters]
    out["missing"] = list(result.missing)
    out["invalid"] = [{"key": i.key, "value": _plain(i.value), "reason": i.reason} for i in result.invalid]
    out["unknown"] = list(result.unknown)
    return out


def _score(args: argparse.Namespace) -> int:
    from models.rules.opel import score

    table = _load(args)
    values = _read_values()
    result = score(table, values)
    print(json.dumps(result_json(table, result), indent=2, allow_nan=False))
    errors = [f"missing parameter '{k}': no value given" for k in result.missing]
    errors += [f"invalid parameter '{i.key}': {i.reason}" for i in result.invalid]
    errors += [f"unknown parameter '{k}': not in the {table.pillar} table (edition {table.edition})"
               for k in result.unknown]
    if not errors:
        return 0
    for line in errors:
        print(f"scc-desktop opel score: {line}", file=sys.stderr)
    if not result.complete:
        print(f"scc-desktop opel score: score incomplete, no level given "
              f"(at least OPEL {result.at_least_level} on what is present)", file=sys.stderr)
    return 2


def _uk_today():
    from datetime import datetime

    from models.uk_time import UK

    return datetime.now(UK).date()


def _check_table(args: argparse.Namespace) -> int:
    from models.rules.opel_rollup import load_system
    from models.rules.opel_table import load_table
    from models.rules.tabledata import TableError, read_toml

    try:
        is_rollup = "rollups" in read_toml(args.file)
        if is_rollup:
            system = load_system(args.file)
            lapsed = system.header.out_of_period(_uk_today())
            print(f"{args.file}: valid OPEL roll-up file; edition {system.header.edition}; "
                  f"{system.header.marker}; scopes: {', '.join(system.rules)}" + (f"; {lapsed}" if lapsed else ""))
        else:
            table = load_table(args.file)
            lapsed = table.header.out_of_period(_uk_today())
            print(f"{args.file}: valid OPEL table; pillar {table.pillar}; edition {table.edition}; "
                  f"{table.header.marker}; {len(table.parameters)} parameters; "
                  f"totals {table.min_total:g} to {table.max_total:g}" + (f"; {lapsed}" if lapsed else ""))
        return 0
    except TableError as exc:
        print(f"{args.file}: NOT VALID, {len(exc.problems)} problem(s){_header_note(args.file)}:")
        for problem in exc.problems:
            print(f"  - {problem.key}: {problem.reason}")
        return 2


def _header_note(path: Path) -> str:
    """" (edition X; UNVERIFIED TABLE)" from a file's header, as far as it can be read."""
    from models.rules.tabledata import TableError, read_toml

    try:
        head = read_toml(path).get("table", {})
    except TableError:
        return ""
    if not isinstance(head, dict):
        return ""
    marker = "verified" if head.get("verified") is True else "UNVERIFIED TABLE"
    return f" (edition {head.get('edition', '?')}; {marker})"


def _show(args: argparse.Namespace) -> int:
    from models.rules.opel_table import shipped_table_path

    table = _load(args)
    h = table.header
    marker = "" if table.verified else f"  *** {h.marker} ***"
    print(f"OPEL table: {table.pillar}  edition {table.edition}{marker}")
    bundled = args.table is None and table.path == shipped_table_path(table.pillar)
    print(f"File: {table.path}" + ("  (bundled)" if bundled else ""))
    a = h.applies
    if a.period or a.valid_from or a.valid_until:
        days = (" (" + " to ".join(f"{d:%d/%m/%Y}" if d else "open" for d in (a.valid_from, a.valid_until)) + ")"
                if a.valid_from or a.valid_until else "")
        lapsed = h.out_of_period(_uk_today(), short=True)
        print(f"Period: {a.period or 'not named'}{days}"
              + (f"  *** {lapsed}: check for a newer edition ***" if lapsed else ""))
    for label, text in (("Source", h.source), ("Provenance", h.provenance), ("Notes", h.notes)):
        if text.strip():
            print(f"{label}: {' '.join(text.split())}")
    print(EDGE_HELP)
    for p in table.parameters:
        print(f"\n{p.key}: {p.name}")
        print(f"  unit {p.unit}; {p.worse} is worse; valid {p.valid_range}; weight {p.weight:g}")
        bands = p.bands if p.worse == "higher" else tuple(reversed(p.bands))
        for b in bands:
            print(f"    {str(b.range):<16} {b.points:g} {'point' if b.points == 1 else 'points'}")
    print(f"\nLevels (weighted total; possible totals {table.min_total:g} to {table.max_total:g}):")
    for lv in table.levels:
        print(f"    {str(lv.range):<16} OPEL {lv.level}")
    if not table.verified:
        print(f"\n{h.marker}: edition {table.edition} is a placeholder until replaced by the published "
              "or locally agreed table (see docs/opel-tables.md).")
    return 0
