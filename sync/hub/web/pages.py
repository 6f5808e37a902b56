"""The hub's web pages: login, logout and ``/m/`` (docs/web.md).

Server-rendered (Jinja2, autoescaped) with one small script that refreshes ``/m/`` in place.
Every answer here carries ``Cache-Control: no-store`` and a strict Content-Security-Policy
(scripts and styles from the hub only, no framing), so nothing stays in the browser after
logout and an injected tag could not run.
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from models.forecast import opel_chance
from models.rules.opel_levels import opel_words
from models.uk_time import UK, repeated_zone
from sync.hub import intake, storage, throttle
from sync.hub import schema as s
from sync.hub.auth import READ_FEED, ROLES, SUBMIT, Principal
from sync.hub.errors import ApiError
from sync.hub.web import accounts, csrf, provider, sessions, upload
from sync.hub.web.board import ACTIONS_AHEAD, BoardReader
from sync.hub.validate import Checked, parse_csv

log = logging.getLogger("sync.hub.web")
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "scc_session"
REFRESH_ENV = "SCC_WEB_REFRESH_SECONDS"
DEFAULT_REFRESH = 30
MAX_FORM_BYTES = 8 * 1024
STATIC = {"m.css": "text/css; charset=utf-8", "m.js": "text/javascript; charset=utf-8"}
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                                "base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def refresh_seconds() -> int:
    try:
        return min(max(int(os.environ.get(REFRESH_ENV) or DEFAULT_REFRESH), 2), 600)
    except ValueError:
        return DEFAULT_REFRESH


def _clock(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(UK).strftime("%H:%M") + repeated_zone(at)


def _day_clock(at: datetime | None, now: datetime) -> str:
    if at is None:
        return ""
    local, today = at.astimezone(UK), now.astimezone(UK).date()
    text = local.strftime("%H:%M") if local.date() == today else local.strftime("%a %d %b %H:%M")
    return text + repeated_zone(local)


def _ago(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "no data yet"
    minutes = max(0, int((now - at).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    return f"{hours // 24} days ago"


def _minutes(value: float) -> str:
    value = int(round(value))
    return f"{value} min" if value < 60 else f"{value // 60} h {value % 60:02d} min"


def _response(minutes: float) -> str:
    """A response time as the desktop says it ("6 min 41 s"; hours past 60 minutes)."""
    m, sec = divmod(int(round(minutes * 60)), 60)
    if m < 60:
        return f"{m} min {sec:02d} s"
    return f"{m // 60} h {m % 60:02d} min"


def _tel(number: str | None) -> str:
    """A ``tel:`` link for a directory number: its digits and a leading +, nothing else (""
    when it has too few digits to dial)."""
    dial = re.sub(r"[^\d+]", "", number or "")
    dial = dial[:1] + dial[1:].replace("+", "")
    return f"tel:{dial}" if sum(c.isdigit() for c in dial) >= 3 else ""


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(clock=_clock, tel=_tel)
    env.globals.update(ago=_ago, day_clock=_day_clock, minutes=_minutes, response=_response, words=opel_words(),
                       percent=opel_chance.percent, min_days=opel_chance.MIN_DAYS,
                       actions_ahead=int(ACTIONS_AHEAD.total_seconds() // 3600))
    return env


def _local_path(target: str | None) -> str:
    """Where to go after login: a path on this hub only (never ``//host`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/m/"
    return target


class Web:
    def __init__(self, hub) -> None:
        self.hub = hub
        self.env = _environment()
        self.board = BoardReader(hub)
        self.throttle = throttle.AuthThrottle(hub.db)
        self.refresh = refresh_seconds()
        self.legacy = sessions.LegacyNames(hub.db)   # the names before __Host-: honoured 12 h after it

    # --- answers ------------------------------------------------------------------------------
    def page(self, name: str, status: int = 200, headers: dict[str, str] | None = None, **context) -> Response:
        html = self.env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})

    def message(self, status: int, title: str, text: str, session=None, headers=None) -> Response:
        return self.page("message.html", status, headers, title=title, text=text, session=session)

    @staticmethod
    def redirect(to: str) -> Response:
        return RedirectResponse(to, status_code=303, headers=HEADERS)

    @staticmethod
    def cookie(resp: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
        https = request.url.scheme == "https"   # then named __Host-: sessions.cookie_name
        resp.set_cookie(sessions.cookie_name(name, https), value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=https)
        if https and name in request.cookies:   # the name before the prefix: replaced
            resp.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=True)

    @staticmethod
    def forget(resp: Response, request: Request, name: str) -> None:
        https = request.url.scheme == "https"
        for sent in {sessions.cookie_name(name, https), name} if https else {name}:
            resp.delete_cookie(sent, path="/", httponly=True, samesite="strict", secure=https)

    def cookie_of(self, request: Request, name: str) -> str | None:
        https = request.url.scheme == "https"
        # The old name is looked at only when the prefixed cookie is absent and the old one sent (rare).
        legacy = (not https or bool(request.cookies.get(sessions.HOST_PREFIX + name)) or name not in request.cookies
                  or self.legacy.honoured(s.utcnow()))
        return sessions.cookie_value(request.cookies, name, https, legacy=legacy)

    async def form(self, request: Request, limit: int = MAX_FORM_BYTES, fields: int = 20) -> dict[str, str] | None:
        """The urlencoded form (first value of each field); None when too big or not a form."""
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return None
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=fields)
        except (UnicodeDecodeError, ValueError):
            return None
        return {k: v[0] for k, v in fields.items()}

    async def session(self, request: Request):
        return await run_in_threadpool(sessions.current, self.hub.db, self.cookie_of(request, SESSION_COOKIE))

    def unavailable(self, exc: Exception) -> Response:
        reason = storage.fault_reason(exc) or "the hub failed to read its database (the hub's log has the details)"
        log.error("web: %s (%s)", reason, exc)
        return self.message(503, "The hub cannot answer just now", f"{reason}. Try again in a minute.",
                            headers={"Retry-After": str(storage.RETRY_AFTER_SECONDS)})


def mount(app: FastAPI, hub) -> Web:
    web = Web(hub)

    @app.get("/m", include_in_schema=False)
    def m_no_slash() -> Response:
        return web.redirect("/m/")

    @app.get("/login", include_in_schema=False)
    async def login_form(request: Request, next: str = "/m/", out: int = 0) -> Response:  # noqa: A002
        token = csrf.new_token()
        resp = web.page("login.html", csrf=token, next=_local_path(next), user="",
                        note="You have logged out." if out else None, error=None)
        web.cookie(resp, request, csrf.LOGIN_COOKIE, token, 3600)
        return resp

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await web.form(request)
        if form is None:
            return web.message(400, "Not a login form", "Send the login form from the hub's login page.")
        user, password = form.get("user", "").strip()[:120], form.get("password", "")
        target = _local_path(form.get("next"))
        client = request.client.host if request.client else "unknown"
        if not csrf.same(web.cookie_of(request, csrf.LOGIN_COOKIE), form.get("csrf")):
            log.warning("web login refused for user %r from %s: the form's CSRF token did not match", user, client)
            return web.message(403, "Login form expired",
                               "This login form is out of date or came from another site. Open the login page "
                               "again and log in.")
        token = csrf.new_token()

        def again(status: int, error: str, headers=None) -> Response:
            resp = web.page("login.html", status, headers, csrf=token, next=target, user=user, note=None,
                            error=error)
            web.cookie(resp, request, csrf.LOGIN_COOKIE, token, 3600)
            return resp

        try:
            # A browser this name has logged in from counts its failures on their own (accounts.DEVICE_COOKIE).
            device = await run_in_threadpool(accounts.known_device, hub.db, user,
                                             web.cookie_of(request, accounts.DEVICE_COOKIE))
            keys = throttle.login_keys(user, client, device)
            # Shared by every hub process on the database (sync/hub/throttle.py).
            # Counted before the password is checked, so tries sent at once cannot all pass the count.
            wait, claimed = await run_in_threadpool(web.throttle.attempt, keys)
            if wait is not None:
                log.warning("web login throttled for user %r from %s: too many failed logins; retry in %d s",
                            user, client, wait)
                return again(429, f"Too many failed logins. Try again {throttle.wait_words(wait, s.utcnow())}.",
                             {"Retry-After": str(wait)})
            account, why = await run_in_threadpool(accounts.verify, hub.db, user, password)
            if account is None:   # the try's rows stay: they are its failure
                log.warning("web login failed for user %r from %s: %s", user, client, why)
                return again(401, "The user name or password is not right, or the account is disabled.")
            # The session this browser held (someone else's on a shared phone, maybe) ends: it had no
            # owner once its cookie was replaced, yet stayed live for whoever had copied it.
            await run_in_threadpool(sessions.end, hub.db, web.cookie_of(request, SESSION_COOKIE))
            secret = await run_in_threadpool(sessions.start, hub.db, account.id)
            # The user's count (and this browser's), and this try's own row of the address's (not its
            # other failures).
            await run_in_threadpool(web.throttle.succeeded, throttle.login_keys(user, client)[:1] + keys[:1],
                                    claimed)
            known = await run_in_threadpool(accounts.device_cookie, hub.db, account.user)
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        log.info("web login: %r (%s) from %s", account.user, account.role, client)
        if account.role not in READ_FEED and (target == "/m" or target.startswith(("/m/", "/m?"))):
            target = "/provider/"   # a provider's account: straight to its form (/m/week/<code>'s link too)
        resp = web.redirect(target)
        web.cookie(resp, request, SESSION_COOKIE, secret, int(sessions.ABSOLUTE.total_seconds()))
        if known:
            web.cookie(resp, request, accounts.DEVICE_COOKIE, known, accounts.DEVICE_DAYS * 86400)
        web.forget(resp, request, csrf.LOGIN_COOKIE)
        return resp

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await web.form(request) or {}
        try:
            session = await web.session(request)
            if session is not None and not csrf.same(session.csrf, form.get("csrf")):
                return web.message(403, "Logout form expired", "Reload the page and press Log out again.",
                                   session)
            await run_in_threadpool(sessions.end, hub.db, web.cookie_of(request, SESSION_COOKIE))
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        resp = web.redirect("/login?out=1")
        web.forget(resp, request, SESSION_COOKIE)
        # Chromium, Firefox: drop this site's cached pages and storage as well.
        resp.headers["Clear-Site-Data"] = '"cache", "storage"'
        return resp

    async def picture(request: Request, path: str):
        """(the session, the board) for a reader of the system picture, or the answer to give instead:
        the login page, a refusal for a role that may not read the feed, 503 on a database fault."""
        try:
            session = await web.session(request)
            if session is None:
                return web.redirect("/login?next=" + quote(path)), None
            if session.role not in READ_FEED:
                roles = ", ".join(r for r in ROLES if r in READ_FEED)
                return web.message(403, "Not for this account",
                                   f"The role '{session.role}' may not read the system picture; roles that may: "
                                   f"{roles}.", session), None
            return session, await run_in_threadpool(web.board.read)
        except SQLAlchemyError as exc:
            return web.unavailable(exc), None

    @app.get("/m/", include_in_schema=False)
    async def mobile(request: Request) -> Response:
        session, board = await picture(request, "/m/")
        if board is None:
            return session
        return web.page("m.html", board=board, session=session, refresh=web.refresh)

    @app.get("/m/week/", include_in_schema=False)
    @app.get("/m/week", include_in_schema=False)
    async def week_sites() -> Response:
        """No code: the list of sites, on the system picture (it was the API's JSON 404: the review's leftover)."""
        return web.redirect("/m/#week-sites")

    @app.get("/m/week/{code}", include_in_schema=False)
    async def week_site(request: Request, code: str) -> Response:
        """One acute site's week ahead (its table is not inlined in /m/: 40 sites' tables weighed 71 KB)."""
        session, board = await picture(request, "/m/week/" + quote(code, safe=""))
        if board is None:
            return session
        if not _ODS.match(code):
            return web.message(404, "No such site", f"'{code[:40]}' is not an organisation code (letters and digits, "
                               "up to 12); the list of sites is on the system picture (/m/).", session)
        wk = board.week
        place = wk.site(code) if wk is not None else None
        known = wk is not None and wk.week is not None and wk.week.origin is not None
        upper = code.upper()   # the hub's codes are upper case (sync.hub.orgs): "rxh" is RXH's page
        if place is None and code != upper and (wk.site(upper) if known else upper in board.acute):
            return web.redirect("/m/week/" + upper)
        # Before the week is worked out (or with nothing to work it out from), the hub's acute sites decide:
        # any code at all had a page of its own, headed with the code, saying the week was being worked out.
        if place is None and (known or code not in board.acute):
            return web.message(404, "No such site", f"The week ahead has no acute site with the code '{code}'; "
                               "the list of sites is on the system picture (/m/).", session)
        return web.page("m_week.html", board=board, session=session, refresh=web.refresh, place=place, code=code,
                        site=place.name if place else board.names.get(code, code))

    provider_routes(app, web)

    @app.get("/web/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            return web.message(404, "Not found", "There is no such file.")
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name], headers=HEADERS)

    return web


_SID = re.compile(r"^web-[0-9a-f]{32}$")
_ODS = re.compile(r"^[A-Za-z0-9]{1,12}$")
_NOT_FIELDS = {"csrf", "sid", "org", "shown", "send"}   # a posted form's own fields, not figures


def _level_text(calc: dict | None) -> str | None:
    if calc is None:
        return None
    if calc.get("declared_level") is not None:
        declared = f"OPEL {calc['declared_level']} declared"
        return declared + (f" (calculated OPEL {calc['level']})" if calc.get("level") else " (calculation incomplete)")
    if calc.get("level"):
        return f"OPEL {calc['level']} (score {calc['total']:g})"
    if calc.get("at_least_level"):
        return f"incomplete: at least OPEL {calc['at_least_level']}"
    return "incomplete"


def _missing(calc: dict | None) -> list[str]:
    """An incomplete calculated level's missing parameters by the form's labels, said after the level in
    plain text (in the level's bold, seven of them were fourteen bold lines at 360x640)."""
    if calc is None or calc.get("declared_level") is not None or calc.get("level"):
        return []
    return list(calc.get("missing_names") or calc.get("missing") or [])


_RECEIVED_WORDS = {   # what was sent: its items, and where the reasons for those quarantined are shown
    "form": ("figures", "the reasons shown beside their fields: correct them and send again"),
    "file": ("rows", "the hub's reasons below: correct those rows and upload them again"),
}


def _unchanged_words(n: int) -> str:
    if n == 1:
        return "1 unchanged figure was not sent: the hub keeps it as it was, with its own time."
    return f"{n} unchanged figures were not sent: the hub keeps them as they were, with their own times."


def _received(receipt, sent: int, calc: dict | None, kind: str) -> dict:
    """The result box after the hub accepted some of a form or file (``kind``)."""
    noun, where = _RECEIVED_WORDS[kind]
    lines = [f"Accepted {receipt.accepted} of {sent} {noun if sent != 1 else noun[:-1]}."]
    if receipt.duplicate:
        lines = [f"This {kind} had already been received; nothing new was stored."]
    elif receipt.rejected:
        lines.append(f"{len(receipt.rejected)} quarantined, with {where}.")
    return {"ok": not receipt.rejected, "title": "Received" if not receipt.rejected else "Partly received",
            "lines": lines, "level": _level_text(calc), "missing": _missing(calc)}


def provider_routes(app: FastAPI, web: Web) -> None:
    hub = web.hub

    async def who(request: Request):
        """(session, None) for a submitting role; else (session or None, the answer to give)."""
        session = await web.session(request)
        if session is None:
            return None, web.redirect("/login?next=" + quote("/provider/"))
        if session.role not in SUBMIT:
            roles = ", ".join(r for r in ROLES if r in SUBMIT)
            return session, web.message(403, "Not for this account", f"The role '{session.role}' may not submit "
                                        f"provider data; roles that may: {roles}.", session)
        return session, None

    def organisation(session, chosen: str | None):
        code = session.org_code if session.role == "provider_submitter" else chosen
        if not code:
            return None
        with hub.db.read() as conn:
            return intake.org_row(conn, code)

    async def form_page(session, org, values, *, status=200, errors=None, general=(), result=None, sid=None,
                        shown=None):
        shown = {k: v for k, v in values.items() if k not in _NOT_FIELDS} if shown is None else shown
        try:
            figures = await run_in_threadpool(provider.figure_times, hub, org.ods_code)
        except SQLAlchemyError as exc:   # the figures' times are a help; the form works without them
            log.warning("web: the form's figure times could not be read (%s)", exc)
            figures = {}
        now = s.utcnow()
        since = {name: _day_clock(at, now) for name, (text, at) in figures.items()
                 if values.get(name, "").strip() == text}
        return web.page("provider.html", status, session=session, org=org, values=values, since=since,
                        shown=json.dumps(shown, ensure_ascii=False, sort_keys=True),
                        groups=provider.groups(hub, org.sector), errors=errors or {}, general=list(general),
                        result=result, sid=sid or f"web-{uuid.uuid4().hex}", csv_sid=f"web-{uuid.uuid4().hex}",
                        max_mb=upload.MAX_UPLOAD_BYTES // (1024 * 1024),
                        chosen_org=session.role != "provider_submitter")

    @app.get("/provider", include_in_schema=False)
    def provider_no_slash() -> Response:
        return web.redirect("/provider/")

    @app.get("/provider/", include_in_schema=False)
    async def provider_form(request: Request, org: str | None = None) -> Response:
        try:
            session, refusal = await who(request)
            if refusal:
                return refusal
            row = await run_in_threadpool(organisation, session, org)
            if row is None and session.role != "provider_submitter" and not org:
                with hub.db.read() as conn:
                    orgs = conn.execute(select(s.organisation).where(s.organisation.c.active.is_(True))
                                        .order_by(s.organisation.c.name)).all()
                return web.page("choose.html", session=session, orgs=orgs)
            if row is None or not row.active:
                return web.message(404, "Organisation not known", "This hub has no active organisation "
                                   f"'{session.org_code or org}'; an admin adds it.", session)
            values = await run_in_threadpool(provider.last_values, hub, row.ods_code, row.sector)
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        return await form_page(session, row, values)

    @app.post("/provider/", include_in_schema=False)
    async def provider_send(request: Request) -> Response:
        form = await web.form(request, limit=64 * 1024, fields=200)
        try:
            session, refusal = await who(request)
            if refusal:
                return refusal
            if form is None:
                return web.message(400, "Not a submission form", "Send the form from the hub's page.", session)
            if not csrf.same(session.csrf, form.get("csrf")):
                return web.message(403, "Form expired", "This form is out of date or came from another site; "
                                   "open the form again (nothing was sent).", session)
            row = await run_in_threadpool(organisation, session, form.get("org"))
            if row is None or not row.active:
                return web.message(404, "Organisation not known", "Choose the organisation again.", session)
            sid = form.get("sid", "")
            sid = sid if _SID.match(sid) else f"web-{uuid.uuid4().hex}"
            now = s.utcnow()
            pillar = hub.opel.pillar_of(row.sector)
            shown = provider.shown_of(form)
            items, sources = provider.items(form, row.sector, pillar, now)
            every = form.get("send") == "all"   # "Send all as now": every filled figure, changed or not
            items, sources, unchanged = provider.only_changed(items, sources, form, None if every else shown)
            fields = provider.by_name(provider.groups(hub, row.sector))
            if not items:
                return await form_page(session, row, form, status=422, sid=sid, shown=shown, general=[
                    "Nothing to send: no figure differs from what the form showed. Change a figure, or press "
                    "\u201cSend all as now\u201d to confirm every figure as true now." if unchanged else
                    "Nothing to send: fill at least one figure."])
            who_sent = Principal(0, session.user, session.role, session.org_code)
            checked = [Checked(index=i, raw=item) for i, item in enumerate(items)]
            try:
                receipt = await run_in_threadpool(intake.submit, hub, who_sent, sid, row.ods_code, now, checked, "json")
            except ApiError as exc:
                by_field, general = provider.field_errors(exc.body.fields, sources, form, fields)
                result = {"ok": False, "title": "Nothing was stored",
                          "lines": [exc.body.message if exc.status != 422 else
                                    f"None of the {len(items)} figures was accepted; each problem is shown beside "
                                    "its field. Correct them and send again."]}
                return await form_page(session, row, form, status=exc.status if exc.status != 422 else 422,
                                 errors=by_field, general=general, result=result, sid=sid,
                                 shown=provider.shown_after(shown, form, sources, set(range(len(items)))))
            calc = await run_in_threadpool(provider.calculated, hub, row.ods_code)
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        rejected = [e for r in receipt.rejected for e in r.errors]
        by_field, general = provider.field_errors(rejected, sources, form, fields)
        log.info("web submission %s for %s by %r: %d accepted, %d quarantined", sid, row.ods_code, session.user,
                 receipt.accepted, len(receipt.rejected))
        result = _received(receipt, len(items), calc, "form")
        if unchanged:
            result["lines"].append(_unchanged_words(unchanged))
        return await form_page(session, row, form, errors=by_field, general=general, result=result,
                         shown=provider.shown_after(shown, form, sources, {r.index for r in receipt.rejected}))

    @app.post("/provider/csv", include_in_schema=False)
    async def provider_csv(request: Request) -> Response:
        """A CSV file for the hub's own CSV intake, as ``POST /v1/submissions/csv`` takes it."""
        try:
            session, refusal = await who(request)
            if refusal:
                return refusal
            try:
                form = await upload.read_form(request)
            except upload.UploadError as exc:
                return web.message(exc.status, exc.title, exc.text, session)
            if not csrf.same(session.csrf, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
                return web.message(403, "Form expired", "This form is out of date or came from another site; "
                                   "open the form again (nothing was sent).", session)
            row = await run_in_threadpool(organisation, session, form.get("org") if isinstance(form.get("org"), str)
                                          else None)
            if row is None or not row.active:
                return web.message(404, "Organisation not known", "Choose the organisation again.", session)
            values = await run_in_threadpool(provider.last_values, hub, row.ods_code, row.sector)
            data = form.get("file")
            if not isinstance(data, bytes) or not data.strip():
                return await form_page(session, row, values, status=422, result={
                    "ok": False, "title": "No file", "lines": ["Choose a CSV file with at least one row, then "
                                                              "press Upload."]})
            sid = form.get("sid") if isinstance(form.get("sid"), str) and _SID.match(form["sid"]) else \
                f"web-{uuid.uuid4().hex}"
            who_sent = Principal(0, session.user, session.role, session.org_code)
            try:
                # On the thread pool: reading a file is the hub's CPU, and on the event loop no other
                # request (a desktop's feed, /health) was answered until it was done.
                checked = await run_in_threadpool(parse_csv, data)
                receipt = await run_in_threadpool(intake.submit, hub, who_sent, sid, row.ods_code, s.utcnow(),
                                                  checked, "csv")
            except ApiError as exc:
                rows, general = upload.by_row(exc.body.fields)
                return await form_page(session, row, values, status=exc.status, result={
                    "ok": False, "title": "Nothing was stored", "lines": [exc.body.message[:1].upper() +
                                                                          exc.body.message[1:] + "."],
                    "rows": rows, "general": general})
            calc = await run_in_threadpool(provider.calculated, hub, row.ods_code)
            values = await run_in_threadpool(provider.last_values, hub, row.ods_code, row.sector)
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        rows, general = upload.by_row([e for r in receipt.rejected for e in r.errors])
        log.info("web CSV submission %s for %s by %r: %d accepted, %d quarantined", sid, row.ods_code,
                 session.user, receipt.accepted, len(receipt.rejected))
        return await form_page(session, row, values, result={**_received(receipt, len(checked), calc, "file"),
                                                       "rows": rows, "general": general})
