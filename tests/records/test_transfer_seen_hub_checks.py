"""The hub's ``GET /v1/records/transfer-seen`` refuses a query it cannot read with the reason in words, on
SQLite and PostgreSQL (the ``hub`` fixture), a real hub on loopback: its query was checked by a pattern before
its own reader, so a 422 gave a regular expression as its reason (review r1, session 28)."""

from __future__ import annotations

from tests.support.fixtures import hub, hub_db_url, postgres_cluster  # noqa: F401 -- both databases


def test_a_query_the_endpoint_cannot_read_is_refused_with_its_reason_in_words(hub):
    refused = {
        "": "give at least one feed position, e.g. positions=12,40,41",
        "1,x": "'x' is not a feed position (a whole number of 1 to 18 digits 0-9)",
        "-1": "'-1' is not a feed position",
        " 1": "' 1' is not a feed position",
        "1,,2": "position 2 of 3 is empty: give whole numbers with one comma between each, e.g. positions=12,40,41",
        "3,": "position 2 of 2 is empty",
        ",".join(["1"] * 501): "501 positions; at most 500 in one request",
        "1" * 19: "'1111111111111111111' is not a feed position",
        str(2**63): "'9223372036854775808' is not a feed position",
        "\u00b2": "'\u00b2' is not a feed position",   # isdigit(), and int() raises on it
        "\u0661": "'\u0661' is not a feed position",   # an Arabic-Indic one: int() reads it as 1
        "1," * 5000: "query.positions: too long; it may have at most 9499 characters",
    }
    for bad, words in refused.items():
        resp = hub.request("GET", "/v1/records/transfer-seen", role="room_lead", params={"positions": bad})
        assert resp.status_code == 422, (bad[:20], resp.text)
        (field,) = resp.json()["fields"]
        assert field["field"] == "query.positions" and words in field["reason"], (bad[:20], field)
        assert "pattern" not in field["reason"] and "^" not in field["reason"], field
    # The edges that are positions: 18 digits, and 500 of them (the longest query, 9,499 characters).
    for good in ("9" * 18, ",".join(["9" * 18] * 500), "0", "007"):
        resp = hub.request("GET", "/v1/records/transfer-seen", role="room_lead", params={"positions": good})
        assert resp.status_code == 200 and resp.json()["events"] == [], (good[:20], resp.text)
