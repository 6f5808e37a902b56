"""The providers' submission form's pages: ``/provider/`` and its CSV upload ``/provider/csv`` (docs/web.md).

The form's fields, items and words are ``provider.py``'s, the upload's body ``upload.py``'s; the login,
sessions, headers and page rendering are the web pages' own (``pages.Web``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import uuid
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from sync.hub import csv_cells, intake
from sync.hub import schema as s
from sync.hub.auth import ROLES, SUBMIT, Principal
from sync.hub.errors import ApiError
from sync.hub.validate import Checked, CsvRows, parse_csv
from sync.hub.web import csrf, held_form, provider, sessions, upload
from sync.hub.web.pages import HEADERS, HERE, SESSION_COOKIE, Web, _day_clock

log = logging.getLogger("sync.hub.web")

_SID = re.compile(r"^web-[0-9a-f]{32}$")
_ODS = re.compile(r"^[A-Za-z0-9]{1,12}$")
# A posted form's own fields, not figures (the time the figures describe is the form's, not a figure's).
_NOT_FIELDS = {"csrf", "sid", "org", "shown", "send", provider.AS_AT, provider.AS_AT_SHOWN}


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


_KEPT_BACK_LINE = "The declared OPEL level was not changed: see the problem beside it."
_REPORT_KEPT_LINE = ("The CRITCON report was left empty, so none was sent: the hub keeps the unit's last one (see "
                     "beside CRITCON level).")


def _held_back_line(n: int) -> str:
    return (f"{n} figure{'s' if n != 1 else ''} far from the hub's last not sent yet: check "
            f"{'them' if n != 1 else 'it'} beside {'their fields' if n != 1 else 'its field'}.")


def _emptied_line(n: int) -> str:
    return (f"{n} figure{'s' if n != 1 else ''} left empty {'were' if n != 1 else 'was'} not sent: the hub keeps "
            f"{'its figures' if n != 1 else 'its figure'}, put back in {'their boxes' if n != 1 else 'the box'} "
            f"(see beside {'each' if n != 1 else 'it'}).")


def _none_accepted(n: int) -> str:
    if n == 1:
        return "The figure was not accepted; its problem is shown beside its field. Correct it and send again."
    return f"None of the {n} figures was accepted; each problem is shown beside its field. Correct them and send again."


def _with(first: dict[str, list[str]], then: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in first.items()}
    for k, v in then.items():
        out.setdefault(k, []).extend(v)
    return out


def _quarantined_names(sources: list[list[str]], form: dict, fields: dict, rejected: set[int]) -> list[str]:
    """Each quarantined item of a form as the provider filled it: its filled fields' labels ("CRITCON level,
    Staffed beds, Occupied beds" is one item: "1 quarantined" of five boxes filled said nothing of which)."""
    return [", ".join(_label(n, fields) for n in names if form.get(n, "").strip()) or _label(names[0], fields)
            for i, names in enumerate(sources) if i in rejected]


def _received(receipt, sent: int, calc: dict | None, kind: str, names: list[str] | None = None) -> dict:
    """The result box after the hub accepted some of a form or file (``kind``); ``names``, each quarantined
    item of a form as its fields' labels."""
    noun, where = _RECEIVED_WORDS[kind]
    lines = [f"Accepted {receipt.accepted} of {sent} {noun if sent != 1 else noun[:-1]}."]
    if receipt.duplicate:
        lines = [f"This {kind} had already been received; nothing new was stored."]
    elif receipt.rejected:
        lines.append(f"{len(receipt.rejected)} quarantined" + (f" ({'; '.join(names)})" if names else "") +
                     f", with {where}.")
    return {"ok": not receipt.rejected, "title": "Received" if not receipt.rejected else "Partly received",
            "lines": lines, "level": _level_text(calc), "missing": _missing(calc)}


def _older_than_latest(items: list[dict], sources: list[list[str]], latest: dict, at, rejected: set[int]) -> list[str]:
    """The fields of the stored figures that are older than the hub's latest of their parameter: a back-dated
    figure goes into the history, and the hub's newer one stays the latest (and scores the level)."""
    return [names[0] for i, (item, names) in enumerate(zip(items, sources))
            if i not in rejected and item.get("type") == "observation" and names[0] in latest
            and latest[names[0]][1] > at]


def _older_words(older: list[str], fields: dict) -> str:
    labels = "; ".join(fields[n].label if n in fields else n for n in older)
    return (f"{len(older)} figure{'s are' if len(older) != 1 else ' is'} older than the hub's latest for "
            f"{'their parameters' if len(older) != 1 else 'its parameter'} ({labels}): kept in the history; the "
            "hub's newer figure stays the latest and scores the level.")


def _label(name: str, fields: dict) -> str:
    return fields[name].label if name in fields else name


def _all_later_line(when: str) -> str:
    return (f"Nothing was sent: every figure on the form is the hub's from a time later than As at {when}, and "
            f"sending it as true at {when} would put a later figure back in time. Type the figures that were true "
            "at that time and press Send changes, or put As at back to now to confirm them as true now.")


def _later_rows(later: dict, fields: dict, at, now) -> list[tuple[str, list[str]]]:
    """"Send all" with a back-dated As at: the figures left as the hub has them, its time being later."""
    if not later:
        return []
    return [(f"Not sent, the hub's figure being later than {_day_clock(at, now)} (it stays as it is)",
             [f"{_label(name, fields)} (from {_day_clock(when, now)})" for name, when in later.items()])]


def _send_all_rows(sources: list[list[str]], form: dict, shown: dict | None, rejected: set[int], fields: dict,
                   at, now) -> list[tuple[str, list[str]]]:
    """What "Send all" did with each figure it sent: confirmed as the hub had it, or sent as typed (those the
    hub quarantined are beside their fields)."""
    when = _day_clock(at, now)
    confirmed = [_label(names[0], fields) for i, names in enumerate(sources) if i not in rejected
                 and shown is not None and provider.as_shown(names, form, shown)]
    typed = [_label(names[0], fields) for i, names in enumerate(sources) if i not in rejected
             and not (shown is not None and provider.as_shown(names, form, shown))]
    return ([(f"Confirmed as true at {when}", confirmed)] if confirmed else []) + \
        ([(f"Sent as typed, as at {when}", typed)] if typed else [])


# Whom a provider asks when the hub cannot take their figures, as the hub's admin sets it (a team and a
# telephone number, e.g. "the SCC on 0115 496 0000"); else said in general words.
CONTACT_ENV = "SCC_WEB_CONTACT"
_CONTACT = "the hub's administrator (the SCC team who gave you this account)"


def contact_words() -> str:
    text = " ".join(os.environ.get(CONTACT_ENV, "").split())
    return text[:200] if text else _CONTACT


def provider_routes(app: FastAPI, web: Web) -> None:
    hub = web.hub
    contact = contact_words()

    key_kept: list[bytes] = []

    async def held_key() -> bytes:
        """The hub's key for held forms (``held_form.hub_key``), read once per process."""
        if not key_kept:
            key_kept.append(await run_in_threadpool(held_form.hub_key, hub.db))
        return key_kept[0]

    def not_known(session, chosen: str | None) -> Response:
        """The organisation the form is for is not one of the hub's active ones. Its "Back to the form" led
        to the same page again for a provider's account (bound to that organisation): the way out is what to
        do and whom to ask, and Log out; an admin chooses another organisation."""
        code = session.org_code if session.role == "provider_submitter" else (chosen or "")
        code = code if _ODS.match(code or "") else "(not an ODS code)"
        if session.role != "provider_submitter":
            return web.page("message.html", 404, title="Organisation not known", session=session,
                            text=f"This hub has no active organisation '{code}'. Nothing was sent.",
                            way_out={"href": "/provider/", "text": "Choose an organisation"})
        return web.page("message.html", 404, title="Organisation not known", session=session, way_out="logout",
                        text=f"Your account '{session.user}' submits for {code}, and this hub has no active "
                             f"organisation {code}, so there is no form to show. Nothing was sent.",
                        more=[f"What to do: ask {contact} to add {code} to the hub (or make it active again), "
                              "or to move your account to your organisation's code. Until then, phone your figures "
                              "to the SCC: the room records phoned figures as such.",
                              "Then log out here; log in again once they say it is done."])

    async def who(request: Request, form: dict | None = None, what: str = "form"):
        """(session, None) for a submitting role; else (session or None, the answer to give). A ``form``
        posted after its session ended is answered with the login page, its figures held (:func:`hold`)."""
        session = await web.session(request)
        if session is None:
            if form is not None:
                return None, await hold(request, form, what)
            return None, web.redirect("/login?next=" + quote("/provider/"))
        if session.role not in SUBMIT:
            roles = ", ".join(r for r in ROLES if r in SUBMIT)
            return session, web.message(403, "Not for this account", f"The role '{session.role}' may not submit "
                                        f"provider data; roles that may: {roles}.", session)
        return session, None

    async def hold(request: Request, form: dict, what: str) -> Response:
        """The login page for a form (``what``: "form" or "file") posted after its session ended: the
        session's own form (its CSRF token) has its figures held in a cookie for the new login; the page
        says why it is there and that nothing was sent. Anything else goes to the login page as before."""
        lapsed = await run_in_threadpool(sessions.lapsed, hub.db, web.cookie_of(request, SESSION_COOKIE))
        token = form.get("csrf") if isinstance(form.get("csrf"), str) else None
        if lapsed is None or (what == "form" and not csrf.same(lapsed[1], token)):
            return web.redirect("/login?next=" + quote("/provider/"))
        user = lapsed[0]
        # The organisation the figures were typed for: a provider's account's own (its form carries no org),
        # else the one the form was for. Held without it, they were put on whichever form the login opened.
        org = lapsed[2] or (form.get("org") if isinstance(form.get("org"), str) else None)
        # Only what was typed over what the form showed: a field left as shown came back at its old value
        # over a figure the hub received since, listed as typed, and Send stored the old figure as new.
        shown = provider.shown_of(form) or {}
        fields = {k: v for k, v in form.items() if k not in _NOT_FIELDS and not k.startswith("sure.")
                  and isinstance(v, str) and v.strip() != shown.get(k, "").strip()}
        typed_at = form.get(provider.AS_AT)
        typed_at = typed_at.strip() if isinstance(typed_at, str) else ""
        if typed_at and typed_at != str(form.get(provider.AS_AT_SHOWN, "")).strip():
            fields[provider.AS_AT] = typed_at[:40]   # a back-dated time goes with its figures
        key = await held_key()
        name = held_form.cookie_name(key, user, org)
        # Beside the browser's other held forms (a colleague's, another organisation's): never replacing one.
        others = {n: v for n, v in held_form.sent(request.cookies, request.url.scheme == "https").items()
                  if n != name and held_form.unpack(v, key) is not None}
        full = what == "form" and len(others) >= held_form.MAX_HELD
        room = held_form.room_left(key, user, org, others)
        value, left_out = held_form.pack(user, org, fields, key, room=room) if what == "form" and not full \
            else (None, [])
        if what == "file":
            note = ("Your session had ended (30 minutes without use, or 12 hours after logging in), so the file "
                    "was not uploaded. Log in again and upload it again.")
        elif full:
            note = ("Your session had ended (30 minutes without use, or 12 hours after logging in), so nothing "
                    f"was sent, and this browser already keeps {len(others)} other people's or organisations' "
                    f"unsent figures (at most {held_form.MAX_HELD}, each for an hour), so yours could not be kept. "
                    "Log in again and enter them again.")
        elif value is None:
            note = ("Your session had ended (30 minutes without use, or 12 hours after logging in), so nothing "
                    "was sent, and the figures were too long to keep" + (
                        f" beside the {len(others)} other unsent form{'s' if len(others) != 1 else ''} this "
                        "browser keeps" if others else "") +
                    ". Log in again and enter them again.")
        else:
            note = ("Your session had ended (30 minutes without use, or 12 hours after logging in), so nothing "
                    "was sent. Your figures are kept: log in again and they will be back on the form, unsent, "
                    "for you to check and send.")
            if left_out:
                note += " The reason was too long to keep" + (
                    f" beside the {len(others)} other unsent form{'s' if len(others) != 1 else ''} this browser "
                    "keeps" if others else "") + ": type it again."
        log.info("web: a provider %s from %r for %s posted after its session ended; %s", what, user, org,
                 "its figures held over the login" if value else
                 f"nothing held ({len(others)} other held forms at this browser)" if full else "nothing held")
        token = csrf.new_token()
        nxt = "/provider/" + (f"?org={quote(org)}" if org and not lapsed[2] and _ODS.match(org) else "")
        resp = web.page("login.html", 401, csrf=token, next=nxt, user=user, note=note, error=None)
        web.cookie(resp, request, csrf.LOGIN_COOKIE, token, 3600)
        if value:
            web.cookie(resp, request, name, value, held_form.HELD_SECONDS)
        return resp

    def organisation(session, chosen: str | None):
        code = session.org_code if session.role == "provider_submitter" else chosen
        if not code:
            return None
        with hub.db.read() as conn:
            return intake.org_row(conn, code)

    async def form_page(session, org, values, *, status=200, errors=None, general=(), result=None, sid=None,
                        shown=None, sure=(), answered=False, said=None, dates=None):
        shown = {k: v for k, v in values.items() if k not in _NOT_FIELDS and not k.startswith("sure.")} \
            if shown is None else shown
        try:
            figures = await run_in_threadpool(provider.figure_times, hub, org.ods_code)
        except SQLAlchemyError as exc:   # the figures' times are a help; the form works without them
            log.warning("web: the form's figure times could not be read (%s)", exc)
            figures = {}
        now = s.utcnow()
        since = {name: _day_clock(at, now) for name, (text, at) in figures.items()
                 if values.get(name, "").strip() == text}
        form_groups = provider.groups(hub, org.sector)
        problems = [(provider.AS_AT, text) for text in (errors or {}).get(provider.AS_AT, ())] + \
            [(f.name, text) for g in form_groups for f in g.fields for text in (errors or {}).get(f.name, ())]
        # The "As at" field shows now, or the time typed over it (kept while the person corrects the figures).
        as_at_shown = provider.as_at_text(now)
        typed_at = (values.get(provider.AS_AT) or "").strip()
        typed_at = typed_at if typed_at and typed_at != (values.get(provider.AS_AT_SHOWN) or "").strip() else ""
        return web.page("provider.html", status, session=session, org=org, values=values, since=since,
                        as_at=typed_at or as_at_shown, as_at_shown=as_at_shown,
                        as_at_oldest=int(provider.AS_AT_OLDEST.total_seconds() // 3600),
                        shown=json.dumps(shown, ensure_ascii=False, sort_keys=True), problems=problems,
                        groups=form_groups, errors=errors or {}, general=list(general),
                        result=result, sid=sid or f"web-{uuid.uuid4().hex}",
                        max_mb=upload.MAX_UPLOAD_BYTES // (1024 * 1024),
                        chosen_org=session.role != "provider_submitter", sure=set(sure), answered=answered,
                        said=said or {}, dates=dates)

    @app.get("/web/provider.js", include_in_schema=False)
    def provider_script() -> Response:
        """The form's script (static/provider.js): what is typed kept in the tab until the hub answers."""
        return Response((HERE / "static" / "provider.js").read_bytes(), media_type="text/javascript; charset=utf-8",
                        headers=HEADERS)

    @app.get("/provider", include_in_schema=False)
    def provider_no_slash() -> Response:
        return web.redirect("/provider/")

    @app.get("/provider/", include_in_schema=False)
    async def provider_form(request: Request, org: str | None = None) -> Response:
        try:
            session, refusal = await who(request)
            if refusal:
                return refusal
            sent_held = held_form.sent(request.cookies, request.url.scheme == "https")
            key = await held_key() if sent_held else b""
            unpacked = {name: held_form.unpack(value, key) for name, value in sent_held.items()}
            forged = sorted(name for name, held in unpacked.items()
                            if held is None or not held_form.belongs(name, held, key))
            if forged:
                log.warning("web: a held-form cookie the hub did not make was sent by %r; not used", session.user)
            # Only this account's own: a colleague's (site managers of one trust share a desk) is never shown
            # to this one, and stays for its own user's login within the hour.
            mine = {name: held for name, held in unpacked.items() if name not in forged and held is not None
                    and held["user"] == session.user}
            if mine and session.role != "provider_submitter" and not org:
                org = min((h["org"] for h in mine.values() if h["org"]), default=None)
            row = await run_in_threadpool(organisation, session, org)
            if row is None and session.role != "provider_submitter" and not org:
                with hub.db.read() as conn:
                    orgs = conn.execute(select(s.organisation).where(s.organisation.c.active.is_(True))
                                        .order_by(s.organisation.c.name)).all()
                return web.page("choose.html", session=session, orgs=orgs)
            if row is None or not row.active:
                return not_known(session, org)
            values = await run_in_threadpool(provider.last_values, hub, row.ods_code, row.sector)
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        # Its own organisation's, the newest kind first: the one cookie of a hub before session 28 last. That hub
        # packed no organisation for a provider's account (its form carries none) and put the form back on the
        # account's own form; so is one it held in the hour before the upgrade (dropped until r1's review).
        back = next((name for name, held in sorted(mine.items(), key=lambda kv: kv[0] == held_form.HELD_COOKIE)
                     if held["org"] == row.ods_code or held_form.from_before_28(name, held, session.role)), None)
        # Typed for another organisation: a provider's account moved to another code since (never put on this
        # form, and said), or an admin's for another organisation (kept for that organisation's form, and said).
        elsewhere = {name: held for name, held in mine.items() if name != back}
        gone = sorted(elsewhere) if session.role == "provider_submitter" else []
        lines: list[str] = []
        for name in gone:
            was = elsewhere[name]["org"]
            lines.append(f"Figures you typed for {was} before your session ended were not put on this form: "
                         f"your account now submits for {row.ods_code}. Nothing was sent, and they are not kept."
                         if was else
                         "Figures kept from an earlier ended session (before the hub was upgraded) were not put on "
                         "this form: the ones from your later session are. Nothing of the earlier ones was sent, and "
                         "they are not kept."
                         if held_form.from_before_28(name, elsewhere[name], session.role) else
                         "Figures kept from your ended session did not say which organisation they were for, "
                         "so they were not put on this form. Nothing was sent: enter them again.")
        kept_for = sorted({h["org"] for n, h in elsewhere.items() if n not in gone and h["org"]})
        if kept_for:
            lines.append(f"Figures you typed before your session ended are also kept for {'; '.join(kept_for)}: "
                         "open that organisation's form to check and send them.")
        if back is not None:
            held = mine[back]
            # The hub's figures are what the form shows; the held ones, typed over them, count as changes.
            labels = provider.by_name(provider.groups(hub, row.sector))
            typed = [(labels[name].label, [text]) for name, text in held["fields"].items()
                     if name in labels and text.strip() != values.get(name, "").strip()]
            if held["fields"].get(provider.AS_AT):
                typed.insert(0, (provider.AS_AT_LABEL, [held["fields"][provider.AS_AT].replace("T", " ")]))
            more = [held_form.TAMPERED] if forged else []
            resp = await form_page(session, row, {**values, **held["fields"]}, shown=dict(values), result={
                "ok": False, "title": "Not sent yet", "rows": typed, "after": more + lines,
                "lines": [f"Your session had ended before these figures for {row.ods_code} were sent. They are "
                          "back on the form as you typed them, not yet sent: check them and press Send changes. "
                          "Typed:"]})
        elif forged:
            resp = await form_page(session, row, values, result={
                "ok": False, "title": "Figures not put back", "lines": [held_form.TAMPERED] + lines})
        elif lines:
            resp = await form_page(session, row, values, result={
                "ok": not gone, "title": "Figures not put back" if gone else "Figures kept", "lines": lines})
        else:
            resp = await form_page(session, row, values)
        for name in ([back] if back else []) + forged + gone:
            web.forget(resp, request, name)
        return resp

    @app.post("/provider/", include_in_schema=False)
    async def provider_send(request: Request) -> Response:
        form = await web.form(request, limit=64 * 1024, fields=200)
        try:
            session, refusal = await who(request, form)
            if refusal:
                return refusal
            if form is None:
                return web.message(400, "Not a submission form", "Send the form from the hub's page.", session)
            if not csrf.same(session.csrf, form.get("csrf")):
                return web.message(403, "Form expired", "This form is out of date or came from another site; "
                                   "open the form again (nothing was sent).", session)
            row = await run_in_threadpool(organisation, session, form.get("org"))
            if row is None or not row.active:
                return not_known(session, form.get("org") if isinstance(form.get("org"), str) else None)
            sid = form.get("sid", "")
            sid = sid if _SID.match(sid) else f"web-{uuid.uuid4().hex}"
            now = s.utcnow()
            pillar = hub.opel.pillar_of(row.sector)
            shown = provider.shown_of(form)
            # "(none)" chosen over a standing declaration withdraws nothing (the hub keeps a declared level
            # until another is declared): said beside the field, where it was dropped without a word.
            kept_back = {"declared_level": [provider.CLEARED_DECLARATION]} \
                if provider.declaration_cleared(form, shown) else {}
            at, at_problem = provider.as_at(form, now)
            if at_problem:
                own = provider.own_problems(form, provider.by_name(provider.groups(hub, row.sector)), shown)
                return await form_page(session, row, form, answered=True, status=422, sid=sid, shown=shown,
                                       errors={provider.AS_AT: [at_problem], **own},
                                       result={"ok": False, "title": "Nothing was stored",
                                               "lines": ["The time the figures describe could not be taken: see "
                                                         "the problem beside As at."]})
            fields = provider.by_name(provider.groups(hub, row.sector))
            items, sources = provider.items(form, row.sector, pillar, at,
                                            {n for n, f in fields.items() if f.unit == "percent"})
            every = form.get("send") == "all"   # "Send all as now": every filled figure, changed or not
            items, sources, unchanged = provider.only_changed(items, sources, form, None if every else shown)
            later: dict = {}
            # Only with As at moved back (``as_at`` takes no time after now, and As at left as shown is now): Send
            # all with As at as now is the sender's word that what they see holds now, true of a figure however
            # its sender's clock stamped it. A figure the hub holds stamped ahead of its clock (it takes items up
            # to 15 minutes ahead, ``validate.MAX_FUTURE_SKEW``) was left out as later than now, and a form of
            # such figures answered 422 "every figure ... later than As at" with As at never touched.
            if every and shown is not None and at < now:
                times = await run_in_threadpool(provider.hub_times, hub, row.ods_code)
                items, sources, later = provider.later_than(items, sources, form, shown, times, at)
                if not items and later:
                    return await form_page(session, row, form, answered=True, status=422, sid=sid, shown=shown,
                                           errors=kept_back, result={
                                               "ok": False, "title": "Nothing was stored",
                                               "lines": [_all_later_line(_day_clock(at, now))] + (
                                                   [_KEPT_BACK_LINE] if kept_back else []),
                                               "rows": _later_rows(later, fields, at, now)})
            latest = await run_in_threadpool(provider.latest_numbers, hub, row.ods_code)
            items, sources, unsure = provider.unlikely(items, sources, form, latest, fields,
                                                       lambda at: _day_clock(at, now))
            kept_back.update({name: [words] for name, words in unsure.items()})
            # A figure of the hub's emptied: not sent, said beside its field, the hub's figure put back in it.
            blank = provider.emptied(form, shown, fields, latest, lambda at: _day_clock(at, now))
            kept_back = _with(kept_back, {name: [words] for name, words in blank.items()})
            form = {**form, **{name: shown[name] for name in blank}}
            # A CRITCON field emptied: what its words under it said (``provider.critcon_emptied``).
            beds_said, report_kept, put_back, level_words = provider.critcon_emptied(form, shown)
            kept_back = _with(kept_back, report_kept)
            form = {**form, **put_back}
            # Beds with no CRITCON level (a CSP level with no REAP level): held, not sent to quarantine.
            items, sources, unlevelled, unlevelled_lines = provider.unchosen(items, sources, form, fields,
                                                                             hub.validator, pillar)
            if level_words and unlevelled.get("critcon_level"):   # emptied, not left unchosen: the level stays
                unlevelled["critcon_level"][0] = level_words
            kept_back = _with(kept_back, unlevelled)
            kept_lines = ([_KEPT_BACK_LINE] if "declared_level" in kept_back else []) + \
                ([_held_back_line(len(unsure))] if unsure else []) + unlevelled_lines + \
                ([_emptied_line(len(blank))] if blank else []) + ([_REPORT_KEPT_LINE] if report_kept else [])
            if not items and kept_back:
                return await form_page(session, row, form, answered=True, status=422, sid=sid, shown=shown, errors=kept_back,
                                       sure=unsure, result={"ok": False, "title": "Nothing was stored",
                                                            "lines": kept_lines})
            if not items:
                return await form_page(session, row, form, answered=True, status=422, sid=sid, shown=shown, general=[
                    "Nothing to send: no figure differs from what the form showed. Change a figure, or press "
                    "\u201cSend all as now\u201d to confirm every figure as true now." if unchanged else
                    "Nothing to send: fill at least one figure."])
            who_sent = Principal(0, session.user, session.role, session.org_code)
            checked = [Checked(index=i, raw=item) for i, item in enumerate(items)]
            try:
                receipt = await run_in_threadpool(intake.submit, hub, who_sent, sid, row.ods_code, now, checked, "json",
                                                  False, "web_form")
            except ApiError as exc:
                by_field, general = provider.field_errors(exc.body.fields, sources, form, fields)
                by_field = _with(kept_back, by_field)
                result = {"ok": False, "title": "Nothing was stored",
                          "lines": [exc.body.message if exc.status != 422 else _none_accepted(len(items))]}
                result["lines"] += kept_lines
                return await form_page(session, row, form, answered=True, status=exc.status if exc.status != 422 else 422,
                                 errors=by_field, general=general, result=result, sid=sid, sure=unsure,
                                 shown=provider.shown_after(shown, form, sources, set(range(len(items)))))
            calc = await run_in_threadpool(provider.calculated, hub, row.ods_code)
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        rejected = [e for r in receipt.rejected for e in r.errors]
        by_field, general = provider.field_errors(rejected, sources, form, fields)
        by_field = _with(kept_back, by_field)
        log.info("web submission %s for %s by %r: %d accepted, %d quarantined", sid, row.ods_code, session.user,
                 receipt.accepted, len(receipt.rejected))
        result = _received(receipt, len(items), calc, "form",
                           _quarantined_names(sources, form, fields, {r.index for r in receipt.rejected}))
        if receipt.accepted and not receipt.duplicate:
            if at != now:
                result["lines"].append(f"Stored as at {_day_clock(at, now)} (UK time), the time you gave.")
            # As at now too: behind a figure the hub holds stamped ahead of its clock, the one sent is history.
            older = _older_than_latest(items, sources, latest, at, {r.index for r in receipt.rejected})
            if older:
                result["lines"].append(_older_words(older, fields))
        if unchanged:
            result["lines"].append(_unchanged_words(unchanged))
        if every and (later or at != now) and not receipt.duplicate:
            result["rows"] = _send_all_rows(sources, form, shown, {r.index for r in receipt.rejected}, fields,
                                            at, now) + _later_rows(later, fields, at, now)
        if kept_back:
            result.update(ok=False, title="Partly received")
            result["lines"] += kept_lines
        # A bed count emptied beside a level: said once the hub stored the report without it.
        stored = {i for i in range(len(items)) if i not in {r.index for r in receipt.rejected}}
        beds_said = {} if receipt.duplicate else {
            name: words for name, words in beds_said.items()
            if any(name in sources[i] for i in stored)}
        result["lines"] += provider.critcon_said_lines(beds_said)
        return await form_page(session, row, form, answered=True, errors=by_field, general=general, result=result,
                               sure=unsure, said=beds_said,
                               shown=provider.shown_after(shown, form, sources, {r.index for r in receipt.rejected}))

    @app.post("/provider/csv", include_in_schema=False)
    async def provider_csv(request: Request) -> Response:
        """A CSV file for the hub's own CSV intake, as ``POST /v1/submissions/csv`` takes it."""
        try:
            session, refusal = await who(request)
            if session is None:
                # Nothing of the body is read without a live session: it was read whole (2 MB) to find the
                # lapsed session's CSRF token in it. A lapsed session's browser (its cookie is SameSite=Strict,
                # so the post came from the hub's own page) gets the login page saying the file was not uploaded.
                return await hold(request, {}, "file")
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
                return not_known(session, form.get("org") if isinstance(form.get("org"), str) else None)
            values = await run_in_threadpool(provider.last_values, hub, row.ods_code, row.sector)
            data = form.get("file")
            # How the file writes its dates, as the clerk chose ("Dates in the file"); needed only when every date
            # reads both ways (``csv_cells.date_order``). Anything else posted is no choice. A refused upload comes
            # back with it chosen (r2's review, session 31: it came back with neither).
            dates = form.get("dates") if form.get("dates") in csv_cells.ORDERS else None
            if not isinstance(data, bytes) or not data.strip():
                return await form_page(session, row, values, status=422, dates=dates, result={
                    "ok": False, "title": "No file", "lines": ["Choose a CSV file with at least one row, then "
                                                              "press Upload."]})
            who_sent = Principal(0, session.user, session.role, session.org_code)
            checked = None
            try:
                # On the thread pool: reading a file is the hub's CPU, and on the event loop no other
                # request (a desktop's feed, /health) was answered until it was done.
                checked = await run_in_threadpool(parse_csv, data, dates, upload.DATES_CHOOSE, s.utcnow())
                # The file's own id: its bytes, for this organisation. The same file uploaded again (a second
                # press, or the morning's file sent twice) is the hub's duplicate, stored once and said with the
                # time it came; the form's fresh id each time stored it twice without a word (r1's review,
                # session 30). "Month first" is in it only when it reads a date otherwise: it was whenever
                # chosen, and a file of ISO times uploaded with it was stored twice (r2's review, session 31);
                # an id made so still names its file.
                sid = upload.file_sid(row.ods_code, data, dates == csv_cells.MONTH_FIRST and checked.reads_both_ways)
                if not checked.reads_both_ways:
                    sid = await run_in_threadpool(upload.held_sid, hub, row.ods_code,
                                                  [sid, upload.file_sid(row.ods_code, data, True)])
                receipt = await run_in_threadpool(intake.submit, hub, who_sent, sid, row.ods_code, s.utcnow(),
                                                  checked, "csv", False, "web_upload")
            except ApiError as exc:
                rows, general = upload.by_row(exc.body.fields)
                read = checked if exc.status == 422 and isinstance(checked, CsvRows) else None
                line = exc.body.message[:1].upper() + exc.body.message[1:] + "."
                if read is not None:   # read, and no row accepted: the intake's words are an API client's
                    line = upload.none_accepted_line(len(read))
                return await form_page(session, row, values, status=exc.status, dates=dates, result={
                    "ok": False, "title": "Nothing was stored", "lines": [line] + (read.notes if read else []),
                    "rows": rows, "general": general})
            calc = await run_in_threadpool(provider.calculated, hub, row.ods_code)
            values = await run_in_threadpool(provider.last_values, hub, row.ods_code, row.sector)
            first = await run_in_threadpool(upload.received_at, hub, row.ods_code, sid) if receipt.duplicate \
                else None
        except SQLAlchemyError as exc:
            return web.unavailable(exc)
        rows, general = upload.by_row([e for r in receipt.rejected for e in r.errors])
        log.info("web CSV submission %s for %s by %r: %d accepted, %d quarantined%s", sid, row.ods_code,
                 session.user, receipt.accepted, len(receipt.rejected), " (a duplicate)" if receipt.duplicate else "")
        result = _received(receipt, len(checked), calc, "file")
        if receipt.duplicate:
            result["lines"] = [upload.duplicate_line(first, s.utcnow(), receipt, len(checked))]
        result["lines"] += checked.notes
        return await form_page(session, row, values, result={**result, "rows": rows, "general": general})
