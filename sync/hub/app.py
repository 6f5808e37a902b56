"""The hub's HTTP API (FastAPI). Endpoint contracts: docs/sync-protocol.md.

Handlers are thin: they read the body (bounded), authenticate, and hand the
work to :mod:`sync.hub.intake`, :mod:`sync.hub.records` and
:mod:`sync.hub.feed` on the thread pool. Every failure is an ``ErrorBody``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from sync import protocol as p
from sync.hub import alerts, escalation, feed, intake, jsonbody, messages, openapi, records, retention, storage
from sync.hub import escalation_health, escalation_page, feed_fast, head_listen, record_heads, snapshot_files
from sync.hub import csv_cells, schema_start, snapshot_check, token_refresh, transfer_seen
from sync.hub.auth import ADMIN, READ_FEED, Principal, authenticate, cached_principal, require
from sync.hub.core import Hub
from sync.hub.errors import ApiError, validation
from sync.hub.schema import utcnow
from sync.hub.throttle import AuthThrottle
from sync.hub.validate import MAX_FUTURE_SKEW, Checked, parse_csv, plain_reason
from sync.hub.web import pages as web_pages
from sync.limits import INT64_MAX, Code

log = logging.getLogger("sync.hub")
_RETRY = {"Retry-After": str(storage.RETRY_AFTER_SECONDS)}


def _error(status: int, body: p.ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _well_formed(header: str | None) -> bool:
    """``MAJOR.MINOR`` in ASCII digits (then a refusal means another major version)."""
    return p.VERSION_FORM.fullmatch((header or "").strip()) is not None


class ProtocolMiddleware:
    """Adds ``SCC-Protocol`` to every response (the version itself is checked by :func:`check_protocol`)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_tagged(message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"scc-protocol"]
                headers.append((b"scc-protocol", p.PROTOCOL_VERSION.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_tagged)


def check_protocol(request: Request) -> None:
    """Refuse a /v1 request in another major version: missing or malformed header 400, another
    major 426 (with ``Upgrade``). Any minor of our major is served (minors only add optional fields).

    Checked once the request has found its route and its token is known, so an unknown path is
    404, a method the path does not take 405 (with ``Allow``) and a missing token 401 whatever
    the header says (a schema-driven fuzz found each answered 400 when the check ran first)."""
    header = request.headers.get(p.VERSION_HEADER)
    try:
        p.check_version(header)
    except p.VersionError as exc:
        well_formed = _well_formed(header)
        raise ApiError(426 if well_formed else 400, "protocol_version", str(exc), supported=[p.PROTOCOL_VERSION],
                       headers={"Upgrade": f"SCC-Protocol/{p.PROTOCOL_VERSION}"} if well_formed else None) from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes (413) without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"the body is {declared} bytes; the hub accepts at most {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body is over {limit} bytes; send smaller batches")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    return jsonbody.parse(await read_body(request, limit))


def _envelope(data: Any) -> tuple[p.Submission, list[Any]]:
    """The submission envelope, validated with each item's content left for the per-item check."""
    if not isinstance(data, dict):
        raise validation("the body must be a JSON object (a Submission)",
                         [p.FieldError(field="body", reason="expected a JSON object")])
    raw_items = data.get("items")
    envelope = dict(data)
    if isinstance(raw_items, list):
        envelope["items"] = [x if isinstance(x, dict) else {} for x in raw_items]
    try:
        return p.Submission.model_validate(envelope), raw_items
    except ValidationError as exc:
        fields = [p.FieldError(field=".".join(map(str, e["loc"])) or "body",
                               reason=plain_reason(".".join(map(str, e["loc"])), e, "submission"))
                  for e in exc.errors(include_url=False)]
        raise validation("the submission is not valid; see fields", fields) from None


def create_app(hub: Hub) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app):
        tasks: list[asyncio.Task] = []

        def begin() -> None:
            tasks.append(asyncio.create_task(feed.watch_head(hub)))
            if hub.db.kind == "postgresql":
                tasks.append(asyncio.create_task(head_listen.listen(hub)))
            tasks.append(asyncio.create_task(token_refresh.run(hub)))
            tasks.append(asyncio.create_task(alerts.run_clock(hub)))
            escalating = asyncio.create_task(escalation.run(hub)) if hub.escalation else None
            hub.escalation_task = escalating   # /health says whether it still runs (sync.hub.escalation_health)
            mailing = asyncio.create_task(messages.run(hub)) if hub.escalation else None   # the same SMTP set-up
            paging = asyncio.create_task(escalation_page.run(hub)) if hub.pager else None   # its own task
            hub.pager_task = paging
            tasks.extend(t for t in (escalating, mailing, paging) if t)
            app.state.board_warm.start()   # the phone's first read, on a thread of its own (BoardWarmUp)

        async def upgrade_then_begin() -> None:
            """The database's one-off steps on a thread of their own (the hub listening and answering 503
            'upgrading' meanwhile: :func:`upgrading_answer`), then everything that reads the database."""
            done = asyncio.get_running_loop().create_future()

            def run() -> None:   # a daemon thread: a stop during an index build does not wait for it
                try:
                    hub.finish_start()
                finally:
                    done.get_loop().call_soon_threadsafe(lambda: done.done() or done.set_result(None))

            threading.Thread(target=run, name="scc-hub-upgrade", daemon=True).start()
            await done
            if hub.ready and not hub.stopping:
                begin()

        if hub.ready:
            begin()
        else:
            tasks.append(asyncio.create_task(upgrade_then_begin()))
        try:
            yield
        finally:
            hub.begin_shutdown()
            for task in list(tasks):
                task.cancel()
            if not hub.ready:   # the steps' transaction ends with the process, uncommitted
                log.warning("hub database: stopped before its one-off steps were done; none of them is kept "
                            "half-done (an index PostgreSQL has built is kept), and the next start takes the rest")

    app = HubApp(title="SCC feed hub", version=p.PROTOCOL_VERSION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub
    app.add_middleware(ProtocolMiddleware)
    _handlers(app)
    app.state.web = web_pages.mount(app, hub)   # login, logout, /m/ (docs/web.md)
    app.state.board_warm = BoardWarmUp(hub, app.state.web.board)

    guard = AuthThrottle(hub.db)   # refused tokens, counted in the database (sync/hub/throttle.py)

    def checked(request: Request, authorization: str | None) -> Principal:
        try:
            return authenticate(hub.db, authorization)
        except ApiError as exc:
            if exc.status == 401 and authorization:
                client = request.client.host if request.client else "unknown"
                raise guard.token_refused(authorization, client) or exc from None
            raise

    async def principal(request: Request) -> Principal:
        """The token's principal, on a request in our protocol's major version (every /v1 route).
        A token this process checked within a second is taken without a database read or a thread
        (sync.hub.auth.CACHE_SECONDS): a long-polling room re-asks after every commit."""
        authorization = request.headers.get("authorization")
        who = cached_principal(hub.db, authorization)
        if who is None:
            who = await run_in_threadpool(checked, request, authorization)
        check_protocol(request)
        return who

    @app.get("/health")
    def health() -> JSONResponse:
        head, reason = 0, None
        try:
            with hub.db.read() as conn:
                head = hub.db.head(conn)
        except Exception as exc:  # the database is down: say so, do not crash the probe
            log.warning("health: database unavailable: %s", exc)
            reason = storage.fault_reason(exc) or "the hub cannot read its database (the hub's log has the details)"
        reason = reason or hub.db.storage.reason  # a write failed on storage and none has succeeded since
        body = p.Health(status="degraded" if reason else "ok", head=head, database=hub.db.kind,
                        hub_id=hub.db.hub_id, reason=reason, escalation=escalation_health.state(hub),
                        opel_tables=getattr(hub, "opel_tables_said", None))
        if reason:
            return JSONResponse(body.model_dump(mode="json"), status_code=503, headers=_RETRY)
        return JSONResponse(body.model_dump(mode="json"))

    @app.post("/v1/submissions")
    async def submit_json(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
        sub, raw_items = _envelope(await read_json(request, hub.config.max_body_bytes))
        if sub.submitted_at > utcnow() + MAX_FUTURE_SKEW:   # as every time an item gives (a review found 2100 taken)
            raise validation("the submission is not valid; see fields", [p.FieldError(
                field="submitted_at", reason=f"submitted_at: {sub.submitted_at.isoformat()} is more than "
                f"{int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes ahead of the hub's clock; check the sending "
                "system's clock")])
        checked = [Checked(index=i, raw=raw) for i, raw in enumerate(raw_items)]
        receipt = await run_in_threadpool(intake.submit, hub, who, sub.submission_id, sub.org_code,
                                          sub.submitted_at, checked, "json", True)
        return JSONResponse(receipt.model_dump())

    @app.post("/v1/submissions/csv")
    async def submit_csv(request: Request,
                         org_code: Annotated[Code, Query(min_length=3, max_length=12)],
                         submission_id: Annotated[Code, Query(min_length=8, max_length=64)],
                         dates: Literal["day_first", "month_first"] | None = Query(None),
                         who: Principal = Depends(principal)) -> JSONResponse:
        # The query's percent-escapes are decoded with U+FFFD for bytes that are not UTF-8: two different
        # ids became one and the second was a conflict about an id never sent (found by a review).
        unreadable = [p.FieldError(field=f"query.{name}", reason=f"{name}: its percent-escapes are not UTF-8 text")
                      for name, value in (("org_code", org_code), ("submission_id", submission_id)) if "\ufffd" in value]
        if unreadable:
            raise validation("the query is not valid; see fields", unreadable)
        # On the thread pool: parsing 16 MB on the event loop held every request, desktops' feed and /health.
        # ``dates``: how the file writes its slashed dates, when every one reads both ways (csv_cells.date_order).
        checked = await run_in_threadpool(parse_csv, await read_body(request, hub.config.max_body_bytes), dates,
                                          csv_cells.API_CHOOSE, utcnow())
        receipt = await run_in_threadpool(intake.submit, hub, who, submission_id, org_code,
                                          utcnow(), checked, "csv", True)
        return JSONResponse(receipt.model_dump())

    @app.get("/v1/feed")
    async def get_feed(after: int = Query(0, ge=0, le=INT64_MAX),
                       limit: int = Query(feed.DEFAULT_LIMIT, ge=1, le=INT64_MAX),
                       wait: float = Query(0, ge=0, allow_inf_nan=False),
                       format: Literal["items", "columnar"] = Query("items"),  # noqa: A002 (the query name)
                       mark: int | None = Query(None, ge=0, le=INT64_MAX),
                       who: Principal = Depends(principal)) -> Response:
        require(who, READ_FEED, "read the feed")
        batch = await feed.long_poll(hub, after, limit, wait, format, mark)   # rendered, maybe shared
        return Response(batch.stamped(feed.server_time_json()), media_type="application/json")

    @app.get("/v1/snapshot")
    def get_snapshot(who: Principal = Depends(principal)) -> JSONResponse:
        """1.7: the newest published snapshot's description (404 ``no_snapshot``: replay the feed)."""
        require(who, READ_FEED, "read the feed")
        with hub.db.read() as conn:   # session 30: only one the database agrees with (sync.hub.snapshot_check)
            found = snapshot_files.current(hub.config.snapshots, snapshot_check.checker(hub.db, conn))
            oldest = retention.pruned_through(conn)
        if found is None:
            raise ApiError(404, "no_snapshot", "this hub has published no snapshot yet: read the feed from "
                           "position 0 instead")
        return JSONResponse(found[0].model_copy(update={"oldest_position": oldest}).model_dump(mode="json"))

    @app.get("/v1/snapshot/file")
    def get_snapshot_file(position: int = Query(ge=0, le=INT64_MAX),
                          sha256: str | None = Query(None, min_length=64, max_length=64),
                          who: Principal = Depends(principal)) -> Response:
        """1.7: the snapshot file at ``position`` (one of the last two published), streamed.  Session 29,
        optional: ``sha256``, the one with that hash (two may be kept at one position: the copy changed while
        the feed did not); without it, the newest at that position."""
        require(who, READ_FEED, "read the feed")
        with hub.db.read() as conn:   # session 30: one the database disagrees with is not served either
            agrees = snapshot_check.checker(hub.db, conn)
            found = snapshot_files.find(hub.config.snapshots, position, sha256, agrees)
            other = found is None and sha256 is not None and snapshot_files.find(hub.config.snapshots, position,
                                                                                 check=agrees)
        if other:
            raise ApiError(404, "snapshot_gone", f"the snapshot at position {position} with that sha256 is not kept "
                           "any more (a newer copy at that position replaced it): ask GET /v1/snapshot again",
                           [p.FieldError(field="query.sha256", reason="not a kept snapshot's sha256")])
        if found is None:
            raise ApiError(404, "snapshot_gone", f"no snapshot at position {position} is kept any more: "
                           "ask GET /v1/snapshot again for the newest",
                           [p.FieldError(field="query.position", reason="not a kept snapshot's position")])
        info, path = found
        return _SnapshotFile(path, media_type="application/vnd.sqlite3",
                            headers={"SCC-Snapshot-SHA256": info.sha256, "SCC-Snapshot-Position": str(info.position)})

    @app.post("/v1/records")
    async def push_records(request: Request, who: Principal = Depends(principal)) -> JSONResponse:
        body = await read_json(request, hub.config.max_body_bytes)
        receipt = await run_in_threadpool(records.push, hub, who, body)
        return JSONResponse(receipt.model_dump())

    @app.get("/v1/records/heads")
    def get_record_heads(who: Principal = Depends(principal)) -> JSONResponse:
        """Session 27, optional: the head of each decision chain this hub holds (sync/hub/record_heads.py)."""
        require(who, READ_FEED, "read the feed")
        with hub.db.read() as conn:
            found = record_heads.heads(conn, hub.db.hub_id, hub.db.head(conn))
        return JSONResponse(found.model_dump(mode="json"))

    @app.get("/v1/records/transfer-seen")
    def get_transfer_seen(positions: str = Query(max_length=transfer_seen.POSITIONS_MAX_CHARS,
                                                 # described only: parse_positions checks it, in words
                                                 json_schema_extra={"pattern": transfer_seen.POSITIONS_PATTERN}),
                          who: Principal = Depends(principal)) -> JSONResponse:
        """Session 28, optional: the ``seen`` of the transfer events at these feed positions, for a desktop
        that stored them without it (sync/hub/transfer_seen.py)."""
        require(who, READ_FEED, "read the feed")
        wanted = transfer_seen.parse_positions(positions)
        if isinstance(wanted, str):
            raise validation("the query is not valid; see fields", [p.FieldError(field="query.positions",
                                                                                 reason=wanted)])
        with hub.db.read() as conn:
            found = transfer_seen.seen_at(conn, wanted)
        return JSONResponse(p.TransfersSeen(hub_id=hub.db.hub_id, events=found).model_dump(mode="json"))

    @app.get("/v1/quarantine")
    def get_quarantine(after_id: int = Query(0, ge=0, le=INT64_MAX), limit: int = Query(100, ge=1, le=1000),
                       org_code: Code | None = Query(None, max_length=12),
                       who: Principal = Depends(principal)) -> JSONResponse:
        require(who, ADMIN, "read the quarantine")
        return JSONResponse(intake.list_quarantine(hub, after_id, limit, org_code))

    if hub.config.openapi:   # hub serve --openapi: the API's description, to admins (sync/hub/openapi.py)
        @app.get("/openapi.json", include_in_schema=False)
        def get_openapi(request: Request) -> JSONResponse:
            who = authenticate(hub.db, request.headers.get("authorization"))
            require(who, ADMIN, "read the API description")
            if not hasattr(app.state, "openapi"):
                app.state.openapi = openapi.describe(app, list(hub.catalogue.metrics), sorted(hub.validator.pillars))
            return JSONResponse(app.state.openapi)

    return app


class BoardWarmUp:
    """The phone's first read (``/m/``'s board), done as the hub starts rather than by the first
    person to open the page: on a long-running hub that read follows eight weeks of the feed
    (2.9 s on 40 providers' eight weeks, docs/web.md), which the Director on-call waited for.

    One read, once, on a daemon thread of its own: neither the event loop nor the request thread
    pool, so the hub is ready and answers its API meanwhile, and shutdown neither waits for it nor
    is troubled by it (a read cut short by the database closing is a line in the log). A request
    arriving during it waits for the same read (the reader's lock) instead of starting another.
    A failure is logged and changes nothing else: the first ``/m/`` then reads as it would have.
    Every hub process warms its own reader."""

    def __init__(self, hub: Hub, board) -> None:
        self.hub, self.board = hub, board
        self.done = threading.Event()
        self.seconds: float | None = None     # how long the read took, once it succeeded
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="scc-board-warm", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            if not self.hub.stopping:
                self.board.read()
                self.seconds = time.perf_counter() - started
                log.info("web: the phone's board was read in %.2f s as the hub started", self.seconds)
        except Exception as exc:  # never a crash: the first /m/ reads instead
            self.error = exc
            if self.hub.stopping:
                log.info("web: the phone's board was not read before the hub stopped (%s)", exc)
            else:
                reason = storage.fault_reason(exc) if isinstance(exc, SQLAlchemyError) else None
                log.warning("web: the phone's board could not be read as the hub started (%s); the first /m/ "
                            "will read it", reason or exc, exc_info=reason is None)
        finally:
            self.done.set()


class _SnapshotFile(FileResponse):
    """A snapshot (gigabytes) in 1 MiB reads: Starlette's 64 KiB made the hub the bottleneck on
    loopback (1 GB in 4.3 s to curl; see benchmarks/bench_join.py)."""

    chunk_size = 1 << 20


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request, exc: ApiError):
        return error_response(request.method, request.url.path, exc)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request, exc: RequestValidationError):
        fields = [p.FieldError(field=".".join(map(str, e["loc"])),
                               reason=plain_reason(".".join(map(str, e["loc"])), e, "request")) for e in exc.errors()]
        return _error(422, p.ErrorBody(code="validation", message="the request is not valid; see fields",
                                       fields=fields))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, p.ErrorBody(code=code, message=str(exc.detail)), exc.headers)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request, _exc: ClientDisconnect):
        # The client went away mid-body (a desktop stopped mid-upload): nothing was stored and
        # nobody is left to answer; one line, not a traceback as if the hub had failed.
        log.info("%s %s: the client disconnected before sending the whole body; nothing stored",
                 request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(SQLAlchemyError)
    async def database_error(request, exc: SQLAlchemyError):
        return error_response(request.method, request.url.path, exc)

    @app.exception_handler(Exception)
    async def internal(request, exc: Exception):
        return error_response(request.method, request.url.path, exc)


def error_response(method: str, path: str, exc: Exception) -> JSONResponse:
    """The error body for what a handler raised: its own (ApiError), 503 for a database that
    cannot be used (full, down), else 500 (logged with its traceback)."""
    if isinstance(exc, ApiError):
        return _error(exc.status, exc.body, exc.headers)
    reason = storage.fault_reason(exc) if isinstance(exc, SQLAlchemyError) else None
    if reason is not None:
        log.error("%s %s: %s (%s)", method, path, reason, exc)
        return _error(503, p.ErrorBody(code="unavailable", message=(
            f"{reason}; what this request sent was not stored (anything quarantined excepted): "
            "send it again later, retrying is safe")), _RETRY)
    log.error("unhandled error in a hub request", exc_info=exc)
    return _error(500, p.ErrorBody(code="internal", message="the hub failed to handle this request; "
                                   "the hub's log has the details"))


async def _feed_error(exc: Exception) -> tuple[int, list, bytes]:
    """:func:`error_response` for the feed's fast path, as ``(status, headers, body)``."""
    response = error_response("GET", "/v1/feed", exc)
    headers = [(k, v) for k, v in response.raw_headers if k != b"content-length"]
    return response.status_code, headers, response.body


# The web pages' security headers (docs/web.md, Security) on every answer, the API's and the framework's
# own included; over HTTPS (directly, or from a TLS proxy on loopback: uvicorn sets the scheme) also HSTS.
SECURITY_HEADERS = tuple((name.lower().encode("latin-1"), value.encode("latin-1"))
                         for name, value in web_pages.HEADERS.items())
HSTS = (b"strict-transport-security", b"max-age=31536000")   # a year; no includeSubDomains, no preload


def secured(scope, send):
    """``send`` adding each of :data:`SECURITY_HEADERS` (and :data:`HSTS` over HTTPS) that a
    response does not set itself, whoever made it: a handler, the feed's fast path, the framework's
    404, 405 and 422, or the 500 of an exception no handler caught."""
    extra = SECURITY_HEADERS + ((HSTS,) if scope.get("scheme") == "https" else ())

    async def send_secured(message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            have = {name.lower() for name, _ in headers}
            headers += [h for h in extra if h[0] not in have]
            message = {**message, "headers": headers}
        await send(message)

    return send_secured


# Served while the start's one-off steps run (no database read): the upgrading page's stylesheet.
UPGRADING_SERVED = frozenset(f"/web/{name}" for name in web_pages.STATIC)


async def upgrading_answer(progress: schema_start.StartProgress, scope, send) -> None:
    """Any request while the start's one-off steps run (sync.hub.schema_start): 503 ``upgrading`` with
    ``Retry-After``, in the error shape (``/health`` and the API) or a page a phone reads (the web pages)."""
    path = scope.get("path", "")
    if not (path == "/health" or path.startswith("/v1/") or path == "/openapi.json"):   # a web page (/m/, login)
        body = schema_start.page(progress, scope.get("method", "GET"), path)   # a POST: said not stored
        kind = b"text/html; charset=utf-8"
    else:
        body = schema_start.error_body(progress).model_dump_json().encode()
        kind = b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
               (b"retry-after", str(schema_start.retry_after(progress)).encode()),
               (b"scc-protocol", p.PROTOCOL_VERSION.encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})


class HubApp(FastAPI):
    """The hub's app: a common feed request (a desktop a commit woke, re-asking) is answered
    before the framework's layers (sync/hub/feed_fast.py); everything else as any FastAPI app.
    Every answer carries the security headers (:func:`secured`), added outside all the layers.
    While the start's one-off steps run, every request is answered 503 'upgrading' (:func:`upgrading_answer`)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            send = secured(scope, send)
            hub = self.state.hub
            if not hub.ready and scope.get("path") not in UPGRADING_SERVED:
                return await upgrading_answer(hub.start, scope, send)
            if await feed_fast.answer(hub, scope, send, _feed_error):
                return
        await super().__call__(scope, receive, send)
