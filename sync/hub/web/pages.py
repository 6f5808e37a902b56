"""The hub's web pages: login, logout and ``/m/`` (docs/web.md).

Server-rendered (Jinja2, autoescaped) with one small script that refreshes ``/m/`` in place.
Every answer here carries ``Cache-Control: no-store`` and a strict Content-Security-Policy
(scripts and styles from the hub only, no framing), so nothing stays in the browser after
logout and an injected tag could not run.
"""

from __future__ import annotations

import logging
import os
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from models.forecast import opel_chance
from models.rules.opel_levels import opel_words
from models.uk_time import UK, repeated_zone
from sync.hub import read_bound, storage, throttle
from sync.hub import schema as s
from sync.hub.auth import READ_FEED, ROLES
from sync.hub.web import accounts, csrf, sessions
from sync.hub.web.board import ACTIONS_AHEAD, READ_SECONDS, STALE_AFTER, BoardReader

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


def _ms(at: datetime) -> int:
    """A time as m.js reads it: milliseconds since 1970 UTC (JavaScript's own count; shorter than ISO 8601 in
    each of the page's hundred or so ages)."""
    return int(at.timestamp() * 1000)


def _age(at: datetime | None, now: datetime, row: bool = False) -> Markup:
    """``_ago`` in a span m.js keeps true between the hub's answers (``data-at``: the time it counts from),
    from the hub's clock at the answer and the time gone since on the phone (docs/web.md, "When a refresh
    fails").  ``row``: a provider's or an ambulance service's age, marked STALE by m.js once past the
    limit and counted in the page's count of stale rows (with no time at all: stale, counted)."""
    attrs = f' data-at="{_ms(at)}"' if at is not None else ""
    if row:
        attrs += " data-row"
    return Markup(f'<span class="age"{attrs}>{escape(_ago(at, now))}</span>')


def _grown(value: float, now: datetime) -> Markup:
    """``_minutes`` of a wait that goes on with the clock (the longest handover wait, a transfer's stage,
    an action overdue): m.js counts it on from its start (``data-from``) between the hub's answers."""
    return Markup(f'<span class="age" data-from="{_ms(now - timedelta(minutes=value))}">'
                  f'{escape(_minutes(value))}</span>')


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
    env.globals.update(ago=_ago, age=_age, grown=_grown, ms=_ms, day_clock=_day_clock, minutes=_minutes,
                       response=_response, words=opel_words(), stale_after=int(STALE_AFTER.total_seconds()),
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
        self.board = BoardReader(hub, shared_week=True)   # one week ahead for every hub process (week_shared)
        self.throttle = throttle.AuthThrottle(hub.db)
        self.refresh = refresh_seconds()
        self.legacy = sessions.LegacyNames(hub.db)   # the names before __Host-: honoured 12 h after it
        self._checked: dict[str, sessions.Session] = {}   # /m/'s sessions as last checked (reader_session)

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

    def reader_session(self, secret: str | None):
        """``/m/``'s session check, bounded as its board is (``READ_SECONDS``).  When the database does not
        answer in time (SQLite locked as a whole by another program), a session this process checked before
        is taken until the expiry that check gave it (30 minutes idle at most): a logout or a disabled
        account can be recorded only by the database, which is not answering; a page refreshing every 30 s
        was checked at most 30 s before.  Nothing known: :class:`read_bound.NotInTime`."""
        try:
            found = sessions.current(read_bound.Bounded(self.hub.db, time.monotonic() + READ_SECONDS), secret,
                                     touch_late=read_bound.late)
        except Exception as exc:
            if not read_bound.late(exc):
                raise
            known = self._checked.get(sessions.digest(secret)) if secret else None
            if known is None or known.expires_at <= s.utcnow():
                raise read_bound.NotInTime(str(exc)) from exc
            return known
        if found is not None and secret:
            self._checked.pop(sessions.digest(secret), None)
            self._checked[sessions.digest(secret)] = found
            while len(self._checked) > 1000:   # the oldest checked first out
                self._checked.pop(next(iter(self._checked)))
        elif secret:
            self._checked.pop(sessions.digest(secret), None)
        return found

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
        user, note = "", "You have logged out." if out else None
        if not out:   # sent here by a session that ended: why, and the name filled in
            try:
                gone = await run_in_threadpool(lambda: sessions.ended(
                    read_bound.Bounded(hub.db, time.monotonic() + READ_SECONDS),
                    web.cookie_of(request, SESSION_COOKIE)))
            except Exception as exc:  # noqa: BLE001 - the login page is served whatever: only the note is lost
                log.warning("web: the login page could not read the ended session (%s)", exc)
                gone = None
            if gone is not None:
                user, note = gone[0], (f"Your session ended {gone[1]}. Log in again: you come back to the page you "
                                       "were on.")
        resp = web.page("login.html", csrf=token, next=_local_path(next), user=user, note=note, error=None)
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
            session = await run_in_threadpool(web.reader_session, web.cookie_of(request, SESSION_COOKIE))
            if session is None:
                return web.redirect("/login?next=" + quote(path)), None
            if session.role not in READ_FEED:
                roles = ", ".join(r for r in ROLES if r in READ_FEED)
                return web.message(403, "Not for this account",
                                   f"The role '{session.role}' may not read the system picture; roles that may: "
                                   f"{roles}.", session), None
            return session, await run_in_threadpool(lambda: web.board.read(bound=READ_SECONDS))
        except read_bound.NotInTime as exc:
            log.error("web: /m/'s session could not be checked within %g s (%s)", READ_SECONDS, exc)
            return web.message(503, "The hub cannot answer just now",
                               f"The hub's database did not answer within {READ_SECONDS:g} s, so your log-in could "
                               "not be checked. Try again in a minute; the room's desktops keep their own copy.",
                               headers={"Retry-After": str(storage.RETRY_AFTER_SECONDS)}), None
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
        if board.nothing_read:   # the database not answering since the start: no site list to judge the code by
            return web.page("m.html", board=board, session=session, refresh=web.refresh)
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

    from sync.hub.web.provider_pages import provider_routes   # the providers' form (its own module)
    provider_routes(app, web)

    @app.get("/web/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name not in STATIC:
            return web.message(404, "Not found", "There is no such file.")
        return Response((HERE / "static" / name).read_bytes(), media_type=STATIC[name], headers=HEADERS)

    return web


_ODS = re.compile(r"^[A-Za-z0-9]{1,12}$")
