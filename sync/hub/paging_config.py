"""The ``[paging]`` section of the hub's escalation file: the second channel (``sync.hub.escalation_page``).

Optional: a file without it pages nobody (as before session 27).  The HMAC secret is never in the file
(files get copied, attached to tickets, committed): ``secret_file`` (a file holding only the secret) or
the environment variable named by ``secret_env`` (default ``SCC_HUB_PAGING_SECRET``); a ``secret`` key is
refused with the fix.  Every problem names its field (``paging.url: ...``), with the file's others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sync.hub.page_sender import DEFAULT_TIMEOUT_SECONDS, PageSettings

SECRET_ENV = "SCC_HUB_PAGING_SECRET"
MIN_SECRET = 16   # characters: an HMAC key shorter than this is a password, not a key
KNOWN = {"url", "secret_file", "secret_env", "ca_file", "timeout_seconds", "scc_phone", "room_name",
         "after_minutes", "every_escalation", "retry_seconds"}


@dataclass(frozen=True)
class PagingConfig:
    gateway: PageSettings
    scc_phone: str                    # "phone the SCC on <number>", on every page
    room_name: str = "SCC"            # whose room the page is from
    after_minutes: float = 10.0       # page when the e-mail has not gone this long after it fell due
    every_escalation: bool = False    # page every escalated alert as soon as its e-mail falls due
    retry_seconds: float = 15.0       # first wait after a transient failure; doubled each time


def parse(d: dict, environ, problems: list[str], base: Path) -> PagingConfig | None:
    if not isinstance(d, dict):
        problems.append("paging: must be a section ([paging])")
        return None
    if "secret" in d:
        problems.append("paging.secret: not kept in this file; put the secret in a file named by "
                        f"paging.secret_file, or in the environment variable ${SECRET_ENV}")
    for name in sorted(set(d) - KNOWN - {"secret"}):
        problems.append(f"paging.{name}: not a setting; expected one of {', '.join(sorted(KNOWN))}")
    url = d.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append("paging.url: missing: the gateway's https:// address")
        url = ""
    else:
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            problems.append(f"paging.url: {url!r} is not an https:// address (a page is never sent unencrypted)")
    phone = d.get("scc_phone")
    if not isinstance(phone, str) or sum(c.isdigit() for c in phone) < 5:
        problems.append("paging.scc_phone: missing or not a phone number: the number the person paged "
                        "rings (\"phone the SCC on ...\")")
        phone = ""
    room = d.get("room_name", "SCC")
    if not isinstance(room, str) or not room.strip() or len(room) > 120:
        problems.append("paging.room_name: must be text of 1 to 120 characters")
        room = "SCC"
    every = d.get("every_escalation", False)
    if not isinstance(every, bool):
        problems.append(f"paging.every_escalation: {every!r} is not true or false")
        every = False
    numbers = {}
    for name, default, lo, hi in (("after_minutes", 10.0, 0, 1440), ("retry_seconds", 15.0, 0.01, 3600),
                                  ("timeout_seconds", DEFAULT_TIMEOUT_SECONDS, 1, 60)):
        value = d.get(name, default)
        if type(value) not in (int, float) or not lo <= value <= hi:
            problems.append(f"paging.{name}: {value!r} is not a number from {lo:g} to {hi:g}")
            value = default
        numbers[name] = float(value)
    ca_file = d.get("ca_file")
    if ca_file is not None:
        if not isinstance(ca_file, str) or not (base / ca_file).is_file():
            problems.append(f"paging.ca_file: {ca_file!r} is not a file")
        ca_file = str(base / str(ca_file))
    secret = _secret(d, environ, problems, base)
    gateway = PageSettings(url, secret or "", ca_file, numbers["timeout_seconds"])
    return PagingConfig(gateway, phone.strip(), room.strip(), numbers["after_minutes"], every,
                        numbers["retry_seconds"])


def _secret(d: dict, environ, problems: list[str], base: Path) -> str | None:
    if "secret_file" in d:
        path = base / str(d["secret_file"])
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            problems.append(f"paging.secret_file: {path} cannot be read ({exc.strerror or exc})")
            return None
        where = f"paging.secret_file: {path}"
    else:
        name = str(d.get("secret_env", SECRET_ENV))
        value = (environ.get(name) or "").strip()
        where = f"paging.secret_env: ${name}"
        if not value:
            problems.append(f"{where} is not set: the HMAC key the gateway checks each page's signature with "
                            "(or name a file in paging.secret_file)")
            return None
    if len(value) < MIN_SECRET:
        problems.append(f"{where} holds {len(value)} characters; the HMAC key needs at least {MIN_SECRET}")
        return None
    return value
