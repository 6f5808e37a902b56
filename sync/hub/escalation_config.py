"""The hub's escalation settings: a TOML file named by ``hub serve --escalation FILE`` (or
``$SCC_HUB_ESCALATION``).  docs/escalation.md shows a whole file.

The SMTP password is never in that file (files get copied, attached to tickets, committed): it
comes from ``password_file`` (a file holding only the password) or from the environment
variable named by ``password_env`` (default ``SCC_HUB_SMTP_PASSWORD``).  A ``password`` key is
refused with the fix.  Every problem names its field (``smtp.port: ...``), all at once.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from models.records.contacts.fields import email_problem
from models.rules.escalation import IN_HOURS_ROTA, OUT_OF_HOURS_ROTA, CoreHours, Policy
from sync.hub import paging_config
from sync.hub.paging_config import PagingConfig
from sync.hub.smtp_sender import DEFAULT_PORT, DEFAULT_TIMEOUT_SECONDS, SmtpSettings

FILE_ENV = "SCC_HUB_ESCALATION"
PASSWORD_ENV = "SCC_HUB_SMTP_PASSWORD"
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ValueError):
    """The escalation file cannot be used; the message names each field and why."""


@dataclass(frozen=True)
class EscalationConfig:
    smtp: SmtpSettings
    policy: Policy
    check_seconds: float = 30.0      # how often the hub looks for alerts due
    max_attempts: int = 6            # transient failures to a person's address before the fallback is emailed
    retry_seconds: float = 30.0      # first wait after a transient failure; doubled each time
    lease_seconds: float = 300.0     # an attempt a crashed hub left unfinished is tried again after this
    paging: PagingConfig | None = None   # the second channel ([paging]; sync.hub.escalation_page); None: none


def load(path: Path, environ: dict[str, str] | None = None) -> EscalationConfig:
    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a TOML file ({exc})") from None
    problems: list[str] = []
    smtp = _table(raw, "smtp", problems)
    esc = _table(raw, "escalation", problems)
    for name in sorted(set(raw) - {"smtp", "escalation", "paging"}):
        problems.append(f"{name}: not a section of this file; use [smtp], [escalation] and [paging]")
    settings = _smtp(smtp, environ, problems, Path(path).parent)
    policy = _policy(esc, problems)
    timing = {name: _number(esc, name, default, lo, hi, problems)
              for name, default, lo, hi in (("check_seconds", 30.0, 0.05, 3600), ("retry_seconds", 30.0, 0.01, 3600),
                                            ("lease_seconds", 300.0, 1, 86400))}
    attempts = _number(esc, "max_attempts", 6, 1, 50, problems)
    paging = paging_config.parse(raw["paging"], environ, problems, Path(path).parent) if "paging" in raw else None
    if problems:
        raise ConfigError(f"{path}:\n" + "\n".join(f"  {p}" for p in problems))
    return EscalationConfig(settings, policy, timing["check_seconds"], int(attempts), timing["retry_seconds"],
                            timing["lease_seconds"], paging)


def _table(raw: dict, name: str, problems: list[str]) -> dict:
    value = raw.get(name)
    if not isinstance(value, dict):
        problems.append(f"{name}: missing; the file needs a [{name}] section")
        return {}
    return value


def _smtp(d: dict, environ, problems: list[str], base: Path) -> SmtpSettings:
    known = {"host", "port", "username", "password_file", "password_env", "from", "ca_file", "timeout_seconds"}
    if "password" in d:
        problems.append("smtp.password: not kept in this file; put the password in a file named by "
                        f"smtp.password_file, or in the environment variable ${PASSWORD_ENV}")
    for name in sorted(set(d) - known - {"password"}):
        problems.append(f"smtp.{name}: not a setting; expected one of {', '.join(sorted(known))}")
    host = _text(d, "smtp.host", d.get("host"), problems)
    sender = _text(d, "smtp.from", d.get("from"), problems)
    if sender and email_problem(_address(sender)):
        problems.append(f"smtp.from: {email_problem(_address(sender))}")
    port = _number(d, "port", DEFAULT_PORT, 1, 65535, problems, prefix="smtp.")
    timeout = _number(d, "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, 1, 300, problems, prefix="smtp.")
    username = d.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        problems.append("smtp.username: must be text (leave it out when the server needs no login)")
        username = None
    password = None
    if username:
        password = _password(d, environ, problems, base)
    ca_file = d.get("ca_file")
    if ca_file is not None:
        ca_path = base / str(ca_file)
        if not isinstance(ca_file, str) or not ca_path.is_file():
            problems.append(f"smtp.ca_file: {ca_file!r} is not a file")
        ca_file = str(ca_path)
    return SmtpSettings(host or "", sender or "", int(port), username, password, ca_file, timeout)


def _password(d: dict, environ, problems: list[str], base: Path) -> str | None:
    if "password_file" in d:
        path = base / str(d["password_file"])
        try:
            value = path.read_text(encoding="utf-8").strip("\r\n")
        except OSError as exc:
            problems.append(f"smtp.password_file: {path} cannot be read ({exc.strerror or exc})")
            return None
        if not value:
            problems.append(f"smtp.password_file: {path} is empty")
        return value or None
    name = d.get("password_env", PASSWORD_ENV)
    value = environ.get(str(name))
    if not value:
        problems.append(f"smtp.username is set but there is no password: set ${name} or smtp.password_file")
    return value or None


def _policy(d: dict, problems: list[str]) -> Policy:
    known = {"fallback", "in_hours_rota", "out_of_hours_rota", "core_start", "core_end", "core_days",
             "holidays", "check_seconds", "max_attempts", "retry_seconds", "lease_seconds"}
    for name in sorted(set(d) - known):
        problems.append(f"escalation.{name}: not a setting; expected one of {', '.join(sorted(known))}")
    fallback = _text(d, "escalation.fallback", d.get("fallback"), problems,
                     why="the address emailed when nobody on call can be (a gap in the rota)")
    if fallback and email_problem(fallback):
        problems.append(f"escalation.fallback: {email_problem(fallback)}")
    rotas = {}
    for name, default in (("in_hours_rota", IN_HOURS_ROTA), ("out_of_hours_rota", OUT_OF_HOURS_ROTA)):
        rotas[name] = _text(d, f"escalation.{name}", d.get(name, default), problems) or default
    start, end = (_clock(d, name, default, problems) for name, default in (("core_start", time(8)),
                                                                          ("core_end", time(18))))
    if start >= end:
        problems.append(f"escalation.core_end: {end:%H:%M} is not after core_start {start:%H:%M}")
    days = d.get("core_days", list(_DAYS))
    bad = [x for x in days if not isinstance(x, str) or x.strip().lower()[:3] not in _DAYS] \
        if isinstance(days, list) else [days]
    if bad:
        problems.append(f"escalation.core_days: {bad!r} are not days; write e.g. [\"Mon\", \"Tue\"]")
        days = []
    holidays = []
    for i, text in enumerate(d.get("holidays", [])):
        try:
            holidays.append(text if isinstance(text, date) else date.fromisoformat(str(text)))
        except ValueError:
            problems.append(f"escalation.holidays[{i}]: {text!r} is not a date (YYYY-MM-DD, UK)")
    core = CoreHours(start, end, frozenset(_DAYS.index(x.strip().lower()[:3]) for x in days), frozenset(holidays))
    return Policy(fallback or "", rotas["in_hours_rota"], rotas["out_of_hours_rota"], core)


def _clock(d: dict, name: str, default: time, problems: list[str]) -> time:
    value = d.get(name, default)
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        problems.append(f"escalation.{name}: {value!r} is not a time of day; write HH:MM (UK time)")
        return default


def _text(d: dict, name: str, value: Any, problems: list[str], why: str = "") -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{name}: missing" + (f": {why}" if why else ""))
        return None
    return value.strip()


def _number(d: dict, name: str, default: float, lo: float, hi: float, problems: list[str],
            prefix: str = "escalation.") -> float:
    value = d.get(name, default)
    if type(value) not in (int, float) or not lo <= value <= hi:
        problems.append(f"{prefix}{name}: {value!r} is not a number from {lo:g} to {hi:g}")
        return default
    return value


def _address(sender: str) -> str:
    """The address inside ``Name <address>``."""
    return sender[sender.find("<") + 1:sender.rfind(">")] if "<" in sender and sender.endswith(">") else sender
