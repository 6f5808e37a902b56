"""Test helper: write small OPEL table files (tomllib reads TOML but cannot write it)."""

from __future__ import annotations

from pathlib import Path

HEADER = '''[table]
edition = "test-edition"
pillar = "{pillar}"
source = "unit test"
provenance = "written by the test suite"
verified = {verified}
notes = ""
'''

DEFAULT_LEVELS = [("[0, 1)", 1), ("[1, 2)", 2), ("[2, 3)", 3), ("[3, inf)", 4)]


def param(key: str, bands: list[tuple[str, float]], worse: str = "higher",
          valid: str = "[0, 100]", weight: float | None = None, unit: str = "percent") -> str:
    lines = ["[[parameters]]", f'key = "{key}"', f'name = "{key} name"', f'unit = "{unit}"',
             f'worse = "{worse}"', f'valid_range = "{valid}"']
    if weight is not None:
        lines.append(f"weight = {weight}")
    inner = ", ".join(f'{{ range = "{r}", points = {p} }}' for r, p in bands)
    lines.append(f"bands = [{inner}]")
    return "\n".join(lines) + "\n"


def levels(spec: list[tuple[str, int]]) -> str:
    return "".join(f'[[levels]]\nrange = "{r}"\nlevel = {lv}\n\n' for r, lv in spec)


def table_text(params: list[str], level_spec=DEFAULT_LEVELS, pillar: str = "acute",
               verified: bool = False) -> str:
    return (HEADER.format(pillar=pillar, verified="true" if verified else "false") + "\n"
            + "\n".join(params) + "\n" + levels(level_spec))


def write_table(path: Path, params: list[str], level_spec=DEFAULT_LEVELS, pillar: str = "acute",
                verified: bool = False) -> Path:
    path.write_text(table_text(params, level_spec, pillar, verified), encoding="utf-8")
    return path


# A two-parameter table used across tests: totals run 0..4 with weights 1.
SIMPLE_PARAMS = [
    param("a_pct", [("[0, 10]", 0), ("(10, 20]", 1), ("(20, 100]", 2)]),
    param("b_pct", [("[0, 50)", 2), ("[50, 80)", 1), ("[80, 100]", 0)], worse="lower"),
]
