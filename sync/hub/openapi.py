"""The hub's OpenAPI description: served at ``GET /openapi.json`` to admins, when the hub runs with
``--openapi`` (off by default: the API's shape is not for every token holder).

FastAPI describes the query parameters from the handlers; the bodies are read by hand (bounded,
``sync.hub.jsonbody``), so this module adds what it cannot see: the request bodies (the
submission with its items as the discriminated union the hub checks, metric codes and pillars from
this hub's catalogue and tables; the CSV upload; the record batch), the bearer token, the
``SCC-Protocol`` header every ``/v1`` request must send, and every response each operation gives,
each with its body: a 4xx or 503 is an ``ErrorBody`` whose ``message`` says what is wrong, and a
422 names at least one field. Precise enough for a schema-driven fuzz (schemathesis) to check the
hub against it (tests/sync/hub/test_openapi_fuzz.py, benchmarks/fuzz_hub_api.py).
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from sync import protocol as p

REF = "#/components/schemas/{model}"
BEARER = "bearer"
JSON = "application/json"
_ITEMS = (p.ObservationItem, p.OpelDeclarationItem, p.AmbulanceStatusItem, p.ResponseTimesItem,
          p.HandoverItem, p.CritconItem)
_REASONS = {
    400: "the SCC-Protocol header is missing or not MAJOR.MINOR",
    401: "no token, a malformed Authorization header, or a token the hub does not know or has revoked",
    403: "the token's role may not do this (or may submit only for another organisation)",
    409: "a conflict: submission_id already used by another organisation; a feed cursor beyond the hub's head",
    404: "no snapshot: none published yet ('no_snapshot': read the feed from 0), or that one is no longer kept "
         "('snapshot_gone': ask /v1/snapshot again)",
    410: "the cursor is behind the oldest position the feed keeps ('feed_pruned', docs/retention.md): join again "
         "from the snapshot",
    413: "the body is larger than the hub accepts",
    422: "the request is not valid: every field at fault is named with the reason",
    426: "another major protocol version (the Upgrade header names the hub's)",
    503: "the hub's storage failed (full, read-only, unavailable); nothing was stored: retry after Retry-After",
}
_STATUSES = {
    ("post", "/v1/submissions"): (403, 409, 413, 422),
    ("post", "/v1/submissions/csv"): (403, 409, 413, 422),
    ("post", "/v1/records"): (403, 413, 422),
    ("get", "/v1/feed"): (403, 409, 410, 422),
    ("get", "/v1/snapshot"): (403, 404, 422),
    ("get", "/v1/snapshot/file"): (403, 404, 422),
    ("get", "/v1/quarantine"): (403, 422),
    ("get", "/v1/records/heads"): (403, 422),
    ("get", "/v1/records/transfer-seen"): (403, 422),
}
_QUARANTINE = {
    "type": "object", "required": ["items", "next_after_id"],
    "properties": {
        "next_after_id": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "received_at", "source", "index", "submitted_by", "raw", "errors"],
            "properties": {
                "id": {"type": "integer", "minimum": 1}, "received_at": {"type": "string", "format": "date-time"},
                "source": {"enum": ["json", "csv", "record"]},
                "submission_id": {"type": ["string", "null"]}, "org_code": {"type": ["string", "null"]},
                "index": {"type": "integer"}, "row": {"type": ["integer", "null"]},
                "submitted_by": {"type": "string"}, "raw": {},
                "errors": {"type": "array", "items": {"$ref": REF.format(model="FieldError")}}}}}}}


def _schemas(metrics: list[str], pillars: list[str]) -> dict[str, Any]:
    """The protocol's models as JSON Schema, items narrowed to what this hub knows."""
    _, defs = models_json_schema(
        [(m, "validation") for m in (*_ITEMS, p.RecordBatch)]
        + [(m, "serialization") for m in (p.SubmissionReceipt, p.RecordReceipt, p.FeedBatch, p.Health,
                                          p.ErrorBody, p.SnapshotInfo, p.RecordHeads,
                                          p.TransfersSeen)], ref_template=REF)
    schemas = defs["$defs"]
    if metrics:
        schemas["ObservationItem"]["properties"]["metric"]["enum"] = sorted(metrics)
    if pillars:
        schemas["OpelDeclarationItem"]["properties"]["pillar"]["enum"] = sorted(pillars)
    submission = p.Submission.model_json_schema(ref_template=REF)
    # Any value is taken as an item and checked on its own: a bad one is quarantined with its
    # reasons (the receipt's 'rejected') and the rest stored, so the body is not refused for it.
    submission["properties"]["items"]["items"] = {"anyOf": [{
        "oneOf": [{"$ref": REF.format(model=m.__name__)} for m in _ITEMS],
        "discriminator": {"propertyName": "type", "mapping": {
            m.model_fields["type"].annotation.__args__[0]: REF.format(model=m.__name__) for m in _ITEMS}}},
        {"description": "anything else: quarantined with its reasons"}]}
    submission["properties"]["items"]["description"] = (
        "each item is checked on its own: a bad one is quarantined with its reasons (the receipt's "
        "'rejected') and the rest stored; none good answers 422")
    schemas["Submission"] = submission
    schemas["RecordBatch"]["properties"]["records"]["items"] = {"anyOf": [
        {"$ref": REF.format(model="RecordPush")}, {"description": "anything else: rejected with its reasons"}]}
    schemas["RecordBatch"]["properties"]["records"]["description"] = (
        "each record is checked on its own: a bad one is rejected in the receipt (and quarantined), the rest stored")
    # A rejection always says what is wrong; a 422 names the fields.
    schemas["ErrorBody"]["properties"]["message"]["minLength"] = 1
    schemas["ErrorBody"]["properties"]["code"]["minLength"] = 1
    schemas["FieldError"]["properties"]["field"]["minLength"] = 1
    schemas["FieldError"]["properties"]["reason"]["minLength"] = 1
    named = copy.deepcopy(schemas["ErrorBody"])
    named["required"] = sorted({*named.get("required", ()), "fields"})
    named["properties"]["fields"]["minItems"] = 1
    named["title"] = "ErrorBody naming the fields"
    schemas["ValidationErrorBody"] = named
    schemas["QuarantinePage"] = _QUARANTINE
    return schemas


def _json(model: str, description: str, headers: dict | None = None) -> dict[str, Any]:
    out = {"description": description, "content": {JSON: {"schema": {"$ref": REF.format(model=model)}}}}
    if headers:
        out["headers"] = headers
    return out


def _error(status: int) -> dict[str, Any]:
    headers = {"Retry-After": {"schema": {"type": "string"}, "required": True}} if status == 503 else None
    if status == 426:
        headers = {"Upgrade": {"schema": {"type": "string"}, "required": True}}
    return _json("ValidationErrorBody" if status == 422 else "ErrorBody", _REASONS[status], headers)


_BODIES = {
    "/v1/submissions": {"required": True, "content": {JSON: {"schema": {"$ref": REF.format(model="Submission")}}}},
    "/v1/submissions/csv": {"required": True, "description": (
        "a CSV file: the header names item fields (type,metric,observed_at,value for observations; any "
        "item field may be a column); a missing type means observation; at most 10,000 rows; a file whose "
        "every slashed date reads both ways (03/04/2026) needs the query's dates=day_first or month_first"),
        "content": {"text/csv": {"schema": {"type": "string"}}}},
    "/v1/records": {"required": True, "content": {JSON: {"schema": {"$ref": REF.format(model="RecordBatch")}}}},
}
_OK = {"/v1/submissions": ("SubmissionReceipt", "the receipt: how many items were stored, each rejected one "
                           "with its reasons; duplicate=true for a resend of a stored submission_id"),
       "/v1/submissions/csv": ("SubmissionReceipt", "the receipt, rejected rows named by spreadsheet row, and "
                               "each column ignored as empty in every row in ignored"),
       "/v1/records": ("RecordReceipt", "each record stored, a duplicate, or rejected with its reasons"),
       "/v1/feed": ("FeedBatch", "the items after 'after' (waiting up to 'wait' seconds, at most 30, "
                                 "for one when there is none yet)"),
       "/v1/quarantine": ("QuarantinePage", "what the hub refused, with every reason"),
       "/v1/snapshot": ("SnapshotInfo", "the newest published snapshot: its feed position, size, sha256 and key"),
       "/v1/records/heads": ("RecordHeads", "the head of each device's decision chain this hub holds and of "
                                            "its own chain (session 27; a hub before it answers 404)"),
       "/v1/records/transfer-seen": ("TransfersSeen", "the seen of the transfer events at the feed positions asked "
                                                      "(session 28; a hub before it answers 404)"),
       "/v1/snapshot/file": (None, "the snapshot file (a replica encrypted with the description's key)")}
_FILE = {"application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}}}


def describe(app, metrics: list[str] = (), pillars: list[str] = ()) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the hub's API (``/health`` and ``/v1``; the web pages are not in it)."""
    routes = [r for r in app.routes if getattr(r, "path", "") == "/health" or getattr(r, "path", "").startswith("/v1/")]
    doc = get_openapi(title=app.title, version=app.version, routes=routes, openapi_version="3.1.0",
                      description="The SCC feed hub (docs/sync-protocol.md).")
    doc.setdefault("components", {})["schemas"] = _schemas(list(metrics), list(pillars))
    doc["components"]["securitySchemes"] = {BEARER: {"type": "http", "scheme": "bearer", "description": (
        "a hub token ('scc-desktop hub token create'); its role decides what it may do")}}
    protocol = {"SCC-Protocol": {"description": "the hub's protocol version", "required": True,
                                 "schema": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+$"}}}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            op.pop("responses", None)
            if path == "/health":
                op["responses"] = {
                    "200": _json("Health", "the hub is up and its database answers", protocol),
                    "503": _json("Health", "degraded: the reason says why", {
                        **protocol, "Retry-After": {"schema": {"type": "string"}, "required": True}})}
                op["security"] = []
                continue
            op["security"] = [{BEARER: []}]
            op.setdefault("parameters", []).append({
                "name": "SCC-Protocol", "in": "header", "required": True, "example": p.PROTOCOL_VERSION,
                "description": f"MAJOR.MINOR; this hub speaks {p.PROTOCOL_VERSION} (any {p.PROTOCOL_MAJOR}.x)",
                "schema": {"type": "string", "pattern": rf"^{p.PROTOCOL_MAJOR}\.[0-9]+$",
                           "default": p.PROTOCOL_VERSION}})
            if path in _BODIES:
                op["requestBody"] = copy.deepcopy(_BODIES[path])
            model, said = _OK[path]
            responses = {"200": _json(model, said, protocol) if model else
                         {"description": said, "content": copy.deepcopy(_FILE), "headers": protocol}}
            for status in (400, 401, 426, *_STATUSES[(method, path)], 503):
                responses[str(status)] = _error(status)
                responses[str(status)]["headers"] = {**protocol, **responses[str(status)].get("headers", {})}
            op["responses"] = responses
    return doc
