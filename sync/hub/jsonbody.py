"""Parsing a request body as JSON, refusing deep nesting before the parser recurses into it.

Python's ``json`` parser recurses once per nested array or object: a body
nested 10,000 deep raised ``RecursionError`` (a 500) and one nested 900 deep
parsed, was stored, and then could not be serialised on any desktop. The
nesting is measured first, without recursion and at C speed (about as long as
parsing takes), on the body's brackets outside strings; only a body within
``MAX_BODY_DEPTH`` is parsed.
"""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any

from sync import protocol as p
from sync.hub.errors import validation

# Deeper than any desktop's own client sends (pydantic serialises about 255 levels at most),
# so a record nested beyond MAX_DATA_DEPTH that a desktop did send is refused on its own
# (records.N.data...) while the rest of its batch is stored; a body deeper than this is
# hand-made and refused whole. Python's parser handles this depth well within its recursion limit.
MAX_BODY_DEPTH = 300
_STEP = tuple(1 if byte in b"[{" else -1 for byte in range(256))
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'[]{}"')


def nesting_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in the JSON text ``body`` (exact for valid JSON)."""
    # In JSON a backslash escapes exactly one character, read left to right as str.replace
    # scans: with escaped backslashes and then escaped quotes gone, every quote left opens or
    # closes a string, and what lies between them is text whatever brackets it holds.
    plain = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    brackets = b"".join(plain.split(b'"')[::2])
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def parse(body: bytes) -> Any:
    """The body as JSON; a 422 naming ``body`` when it is not JSON or is nested too deep."""
    if json.detect_encoding(body) not in ("utf-8", "utf-8-sig"):  # the scan reads UTF-8 bytes
        raise validation("the body is not UTF-8 JSON", [p.FieldError(
            field="body", reason=f"encoded as {json.detect_encoding(body)}; send UTF-8")])
    if nesting_depth(body) > MAX_BODY_DEPTH:
        raise validation("the body is nested too deep", [p.FieldError(
            field="body", reason=f"JSON nested deeper than {MAX_BODY_DEPTH} levels")])
    try:
        return json.loads(body)  # NaN/Infinity tokens parse, so the item naming them is what fails
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: not JSON we measured
        raise validation("the body is not valid JSON", [p.FieldError(
            field="body", reason=f"not valid JSON: {exc}")]) from None
