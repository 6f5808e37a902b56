"""Property-based tests for the hub's parsers and validators, without a server (issue 22, bad input).

The documented failure of every one is an ``ApiError`` (a 4xx) whose body names each field at
fault with a reason, or, for one item, ``Checked.errors`` naming ``items.N.field`` /
``rows.R.field``. Anything else (a TypeError, a RecursionError, an OverflowError) would be a
500 from the server. Valid items round-trip: JSON and CSV give the same checked item, and what
the validator accepts is what a desktop reads back from the feed.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from models.rules.catalogue import load_catalogue
from sync import protocol as p
from sync.hub import jsonbody, records
from sync.hub.app import _envelope
from sync.hub.errors import ApiError
from sync.hub.intake import wire
from sync.hub.validate import CSV_COLUMNS, MAX_CSV_ROWS, Checked, ItemValidator, parse_csv
from sync.limits import json_problems

pytestmark = pytest.mark.timeout(300)
PROPS = settings(max_examples=200, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
VALIDATOR = ItemValidator(load_catalogue(), {"acute", "community", "mental_health", "nhs111"}, now=lambda: NOW)

any_text = st.text(st.characters(exclude_categories=()), max_size=40)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)),
    max_leaves=15)


def assert_names_fields(exc: ApiError) -> None:
    assert 400 <= exc.status < 500
    assert exc.body.message and exc.body.fields, exc.body
    for f in exc.body.fields:
        assert f.field and f.reason, f


# --- the JSON body --------------------------------------------------------------------------------
@PROPS
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v, allow_nan=True).encode()))
@example(b"[" * 5000)
@example('"\\ud800"'.encode())
@example(b"\xef\xbb\xbf{}")
@example("{}".encode("utf-16"))
def test_any_body_parses_or_is_a_422_naming_the_body(body):
    try:
        jsonbody.parse(body)
    except ApiError as exc:
        assert_names_fields(exc)
        assert [f.field for f in exc.body.fields] == ["body"]


@PROPS
@given(st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "submission_id": json_values | st.from_regex(r"[a-z0-9-]{8,64}", fullmatch=True),
    "org_code": json_values | st.just("RTEST1"), "submitted_at": json_values | st.just(NOW.isoformat()),
    "items": json_values | st.lists(json_values, max_size=3)})))
def test_any_envelope_is_a_submission_or_a_422_naming_each_field(data):
    try:
        sub, raw_items = _envelope(data)
    except ApiError as exc:
        assert_names_fields(exc)
        return
    assert isinstance(raw_items, list) and len(raw_items) == len(sub.items) >= 1


# --- one item --------------------------------------------------------------------------------------
ITEM_FIELDS = sorted({name for name in CSV_COLUMNS} | {"extra"})


@PROPS
@given(st.one_of(json_values, st.dictionaries(st.sampled_from(ITEM_FIELDS), json_values, max_size=6),
                 st.fixed_dictionaries({"type": st.sampled_from(p.ITEM_TYPES)},
                                       optional={k: json_values for k in ITEM_FIELDS if k != "type"})),
       st.sampled_from([None, "acute", "community"]))
def test_any_item_is_accepted_or_rejected_naming_its_fields(raw, pillar):
    chk = VALIDATOR.check(Checked(index=3, raw=raw), pillar)
    assert (chk.item is None) == bool(chk.errors)
    for e in chk.errors:
        assert e.field.startswith("items.3") and e.reason
    if chk.item is not None:   # what the hub puts on the feed, a desktop can read
        p.FEED_DATA[chk.item.type].model_validate(json.loads(json.dumps(wire(chk.item))))


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).isoformat()


good_items = st.one_of(
    st.builds(lambda v, m: {"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": at(-m),
                            "value": v}, st.floats(0, 100), st.integers(0, 10_000)),
    st.builds(lambda lvl, m: {"type": "ambulance_status", "declared_at": at(-m), "reap_level": lvl,
                              "csp_level": "CSP2"}, st.integers(1, 4), st.integers(0, 10_000)),
    st.builds(lambda lvl, beds: {"type": "critcon", "reported_at": at(-5), "level": lvl, "staffed_beds": beds,
                                 "occupied_beds": beds // 2}, st.integers(0, 3), st.integers(0, 500)),
    st.builds(lambda c, n, mean: {"type": "response_times", "category": c, "period_start": at(-60),
                                  "period_end": at(0), "incidents": n, "mean_seconds": mean},
              st.sampled_from(["C1", "C2", "C3", "C4"]), st.integers(0, 5000), st.floats(0, 86_400)),
)


def as_csv(items: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), extrasaction="raise")
    writer.writeheader()
    for item in items:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in item.items()})
    return out.getvalue().encode("utf-8")


@PROPS
@given(st.lists(good_items, min_size=1, max_size=8))
def test_valid_items_are_accepted_and_the_same_from_json_and_csv(items):
    from_json = [VALIDATOR.check(Checked(index=i, raw=raw), "acute") for i, raw in enumerate(items)]
    from_csv = [VALIDATOR.check(chk, "acute") for chk in parse_csv(as_csv(items))]
    assert [c.errors for c in from_json] == [[] for _ in items]
    assert [c.errors for c in from_csv] == [[] for _ in items]
    assert [c.row for c in from_csv] == list(range(2, 2 + len(items)))
    assert [c.item for c in from_csv] == [c.item for c in from_json]


# --- a CSV upload ------------------------------------------------------------------------------------
cells = st.one_of(st.sampled_from(["", "observation", "critcon", "ga_bed_occupancy_pct", "90", "1e400", "nan",
                                   "-0", "2", "99999999999999999999", NOW.isoformat(), "0001-01-01T00:00:00+01:00",
                                   "=1+1", "\x00", "\ud800"]), any_text)


@PROPS
@given(st.binary(max_size=300) | st.lists(st.lists(cells, max_size=6), max_size=6).map(
    lambda rows: "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in r) for r in rows).encode(
        "utf-8", "surrogatepass")))
@example(b"type,metric\n\"open")
@example(b"\xff\xfeu\x00")
def test_any_csv_is_rows_or_a_422_naming_the_problem(body):
    try:
        rows = parse_csv(body)
    except ApiError as exc:
        assert_names_fields(exc)
        return
    assert 1 <= len(rows) <= MAX_CSV_ROWS
    for chk in rows:
        VALIDATOR.check(chk, "acute") if chk.item is None and not chk.errors else None
        assert (chk.item is None) == bool(chk.errors)
        for e in chk.errors:
            assert e.field.startswith(f"rows.{chk.row}") and e.reason


# --- desktop records ---------------------------------------------------------------------------------
RECORD_KINDS = sorted(p.FEED_DATA)


@PROPS
@given(st.one_of(json_values, st.fixed_dictionaries(
    {"uuid": st.uuids().map(str) | json_values, "kind": st.sampled_from(RECORD_KINDS) | json_values,
     "device_id": st.just("desk-a") | json_values, "authored_at": st.just(NOW.isoformat()) | json_values,
     "data": json_values})))
def test_any_record_is_accepted_or_rejected_naming_its_fields(raw):
    rec, errors = records._check(7, raw)
    assert (rec is None) == bool(errors)
    for e in errors:
        assert e.field.startswith("records.7") and e.reason
    if rec is not None:
        assert not json_problems(rec.data)


def test_csv_rows_beyond_the_bound_are_refused_naming_rows():
    body = "type,metric,observed_at,value\n" + f"observation,ga_bed_occupancy_pct,{NOW.isoformat()},1\n" * (
        MAX_CSV_ROWS + 1)
    with pytest.raises(ApiError) as caught:
        parse_csv(body.encode())
    assert caught.value.status == 422 and [f.field for f in caught.value.body.fields] == ["rows"]


# --- the protocol header -------------------------------------------------------------------------------
@PROPS
@given(st.text(st.sampled_from("0123456789.+-_ \t٣x"), max_size=8) | any_text)
@example("1.+6")
@example("1.6_0")
@example("1.٣")
@example("1. 6")
def test_the_protocol_header_is_exactly_major_dot_minor_in_ascii_digits(header):
    import re
    try:
        major, minor = p.check_version(header)
    except p.VersionError as exc:
        assert str(exc) and p.VERSION_HEADER in str(exc) or "protocol" in str(exc)
        return
    assert re.fullmatch(r"[0-9]+\.[0-9]+", header.strip()), header
    assert major == p.PROTOCOL_MAJOR
