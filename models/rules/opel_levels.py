"""What each OPEL level means (``resources/levels/opel.toml``): the words shown beside a level's number.

Data, not code: a new edition of the framework that rewords a level is a change to the file."""

from __future__ import annotations

from functools import cache

import resources
from models.rules.tabledata import Problem, TableError, read_toml

LEVELS = (1, 2, 3, 4)


@cache
def opel_levels() -> dict[int, tuple[str, str]]:
    """Level -> (short words, sentence), for levels 1-4; a file missing one is refused naming it."""
    path = resources.path("levels", "opel.toml")
    found = {}
    for entry in read_toml(path).get("levels", []):
        found[entry.get("level")] = (str(entry.get("words") or ""), str(entry.get("meaning") or ""))
    problems = [Problem(str(path), f"levels.{n}", "missing, or without words and a meaning")
                for n in LEVELS if not all(found.get(n, ("", "")))]
    if problems or set(found) != set(LEVELS):
        raise TableError(problems or [Problem(str(path), "levels", f"levels must be exactly {LEVELS}")])
    return found


def opel_words() -> dict[int, str]:
    """Level -> the short words a tile shows ("signs of pressure")."""
    return {level: words for level, (words, _) in opel_levels().items()}
