"""What a value on the wire may be, so every hub and every replica can store it.

The hub checks these at intake (a 4xx naming the field) and the desktop
checks the same through the protocol's models before applying a feed item
(a poison item is quarantined, not applied). Each bound is the smaller of
what the stores can hold and what the domain allows:

- integers: signed 64-bit, the SQLite ``INTEGER`` of every replica (a larger
  Python int raises ``OverflowError`` on insert); counts have domain bounds;
- times: years ``MIN_YEAR``..``MAX_YEAR``. Python can parse years 1-9999 but
  not always convert them to UTC (year 1 at +01:00 overflows), and the stored
  text form loses the leading zero of a year below 1000 (``314-...``), which
  nothing can read back. No SCC record is dated outside this window;
- text: no lone surrogates (``"\\ud800"`` parses as JSON but cannot be
  encoded as UTF-8, so no database can store it); no control characters in
  codes and identifiers (C1, U+0080-U+009F, included); in free text and in a
  record's text only NUL is refused (PostgreSQL text cannot store it): word
  processors put U+000B and U+000C in copied text, and a decision holding them
  must still reach every desktop;
- JSON documents (a record's ``data``): at most ``MAX_DATA_DEPTH`` nested
  containers. pydantic will not serialise a value nested about 255 deep, nor
  parse a body nested about 200 deep, and Python's own parser recurses.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field

MIN_YEAR = 2000
MAX_YEAR = 2100
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_DATA_DEPTH = 16        # containers, counting the document itself; real records use about 5
MAX_KEY_CHARS = 100
MAX_BEDS = 5000            # critical care beds of one organisation: far above the largest unit, surge included
MAX_INCIDENTS = 10_000_000  # above a year of incidents at the busiest ambulance service
MAX_RESPONSE_SECONDS = 7 * 24 * 3600  # a response time or handover measured in seconds: a week at most
MAX_REASON_CHARS = 2000
# A critical care unit reports CRITCON 0-3 (Intensive Care Society, 2023); 4 and 5 are declared for a
# region or the country from the national data, never by one unit.  The catalogue's critcon_level agrees.
MAX_UNIT_CRITCON = 3
MAX_ALERT_DETAIL_CHARS = 2000  # an alert's sentence (kind "alert"): the engine writes one line
MAX_ALERT_MINUTES = 7 * 24 * 60  # escalation delay of an alert rule: a week at most
# An intake notice (feed kind "intake_notice", one per provider submission) lists at most this many
# quarantined items, each with at most this many reasons and its raw text cut to this many characters;
# ``rejected_count`` says how many there were. A 10,000-item submission of bad rows stays a small item.
MAX_NOTICE_REJECTIONS = 100
MAX_NOTICE_ERRORS = 20
MAX_NOTICE_RAW_CHARS = 2000
MAX_NOTICE_KEYS = 200      # distinct accepted keys ("observation:<metric>", "handover", ...)

# One search a string: the first character that may not travel (in a code / in free text).
_BAD_IN_CODE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_IN_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str, *, free_text: bool = False) -> str | None:
    """Why ``value`` cannot travel (lone surrogate, control character), or None."""
    bad = (_BAD_IN_TEXT if free_text else _BAD_IN_CODE).search(value)
    if bad is None:
        return None
    code = ord(bad.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"holds a lone surrogate U+{code:04X} at character {bad.start()} (not Unicode text)"
    return f"holds the control character U+{code:04X} at character {bad.start()}"


def time_problem(value: datetime) -> str | None:
    """Why an aware time is outside the protocol's window, or None. Checked on the time as
    written, so a later conversion to UTC cannot overflow (its year moves by one at most)."""
    if MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return f"year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}"


def json_problems(value: Any, path: str = "") -> list[tuple[str, str]]:
    """``(dotted path, reason)`` for every part of a JSON value that cannot travel.

    Iterative, so a document nested thousands deep is reported, not recursed
    into; below the depth limit nothing is looked at (one reason says it all).
    Paths are built for containers only and for a scalar only when it is bad:
    a decision with a 40-provider snapshot is a few hundred values.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(value, (dict, list)):
        reason = _scalar_problem(value)
        return [(path, reason)] if reason else []
    stack: list[tuple[Any, str, int]] = [(value, path, 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DATA_DEPTH:
            problems.append((where, f"nested deeper than {MAX_DATA_DEPTH} levels"))
            continue
        children = []
        if isinstance(node, dict):
            for key, child in node.items():
                key_text = key if type(key) is str else str(key)
                reason = text_problem(key_text) or (
                    f"a key of {len(key_text)} characters; at most {MAX_KEY_CHARS}"
                    if len(key_text) > MAX_KEY_CHARS else None)
                if reason:
                    problems.append((where, f"key {key_text.encode('ascii', 'backslashreplace').decode()!r} "
                                            f"{reason}"))
                else:
                    children.append((key_text, child))
        else:
            children = [(str(i), child) for i, child in enumerate(node)]
        below = []
        for name, child in children:
            if isinstance(child, (dict, list)):
                below.append((child, f"{where}.{name}" if where else name, depth + 1))
            else:
                reason = _scalar_problem(child)
                if reason:
                    problems.append((f"{where}.{name}" if where else name, reason))
        stack.extend(reversed(below))  # popped in document order
    return problems


def _scalar_problem(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return text_problem(value, free_text=True)
    if kind is int:
        return None if INT64_MIN <= value <= INT64_MAX else \
            "an integer beyond the signed 64-bit range a replica can store"
    if kind is float:
        return None if math.isfinite(value) else f"must be a finite number, got {value!r}"
    return None  # None, True, False


def _code(value: str) -> str:
    reason = text_problem(value)
    if reason:
        raise ValueError(reason)
    return value


def _free_text(value: str) -> str:
    reason = text_problem(value, free_text=True)
    if reason:
        raise ValueError(reason)
    return value


def _time(value: datetime) -> datetime:
    reason = time_problem(value)
    if reason:
        raise ValueError(reason)
    return value


def _unit_critcon(value: int) -> int:
    if not 0 <= value <= MAX_UNIT_CRITCON:
        raise ValueError(f"a unit reports CRITCON 0 to {MAX_UNIT_CRITCON}, got {value}; levels 4 and 5 are "
                         "declared for a region or the country, not by a unit")
    return value


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    problems = json_problems(value)
    if problems:
        raise ValueError("; ".join(f"{where or '(top)'}: {reason}" for where, reason in problems[:5]))
    return value


# Annotated types for the protocol's models (sync.protocol). Each says in its JSON Schema what it
# refuses (the hub's OpenAPI description, sync/hub/openapi.py); lone surrogates cannot be written there.
Code = Annotated[str, AfterValidator(_code),               # codes, identifiers, names on one line
                 Field(json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"})]
FreeText = Annotated[str, AfterValidator(_free_text),      # sentences: line breaks and tabs allowed
                     Field(json_schema_extra={"pattern": "^[^\\u0000]*$"})]
Time = Annotated[AwareDatetime, AfterValidator(_time),
                 Field(json_schema_extra={"pattern": f"^(20[0-9][0-9]|{MAX_YEAR})-"})]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
FeedPosition = Annotated[int, Field(ge=0, le=INT64_MAX)]   # what a replica's cursor column can hold
# A count or an index.  Not ``Int64 = Field(ge=0)``: pydantic keeps the bounds inside the Annotated
# type over a Field(...) default beside it, so that form let -1 through.
Count = Annotated[int, Field(ge=0, le=INT64_MAX)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
UnitCritcon = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX), AfterValidator(_unit_critcon)]
