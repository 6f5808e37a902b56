"""The hub's escalation file (sync.hub.escalation_config): every problem named by its field, the
password never taken from the file itself."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from sync.hub.escalation_config import ConfigError, load

GOOD = """
[smtp]
host = "smtp.example.nhs.uk"
port = 587
username = "scc.alerts@example.nhs.uk"
password_file = "smtp.password"
from = "SCC alerts <scc.alerts@example.nhs.uk>"

[escalation]
fallback = "scc-duty@example.nhs.uk"
in_hours_rota = "Tactical lead"
out_of_hours_rota = "Strategic on-call"
core_start = "07:30"
core_end = "19:00"
core_days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
holidays = ["2026-12-25", 2026-12-28]
check_seconds = 15
max_attempts = 4
"""


def write(tmp_path, text: str):
    path = tmp_path / "escalation.toml"
    path.write_text(text)
    return path


def test_a_whole_file_is_read_with_the_password_from_its_own_file(tmp_path):
    (tmp_path / "smtp.password").write_text("s3cret pass\n")
    config = load(write(tmp_path, GOOD), environ={})
    smtp, policy = config.smtp, config.policy
    assert (smtp.host, smtp.port, smtp.username, smtp.password, smtp.sender) == (
        "smtp.example.nhs.uk", 587, "scc.alerts@example.nhs.uk", "s3cret pass",
        "SCC alerts <scc.alerts@example.nhs.uk>")
    assert "s3cret" not in repr(config)
    assert (policy.fallback, policy.in_hours_rota, policy.out_of_hours_rota) == (
        "scc-duty@example.nhs.uk", "Tactical lead", "Strategic on-call")
    assert (policy.core.start, policy.core.end, policy.core.days) == (time(7, 30), time(19), frozenset(range(6)))
    assert policy.core.holidays == {date(2026, 12, 25), date(2026, 12, 28)}
    assert (config.check_seconds, config.max_attempts) == (15, 4)


def test_the_password_comes_from_the_environment_when_no_file_is_named(tmp_path):
    text = GOOD.replace('password_file = "smtp.password"', 'password_env = "MY_SMTP_PASSWORD"')
    assert load(write(tmp_path, text), environ={"MY_SMTP_PASSWORD": "from-env"}).smtp.password == "from-env"
    text = GOOD.replace('password_file = "smtp.password"\n', "")
    assert load(write(tmp_path, text), environ={"SCC_HUB_SMTP_PASSWORD": "default-env"}).smtp.password == "default-env"
    with pytest.raises(ConfigError, match=r"no password: set \$SCC_HUB_SMTP_PASSWORD or smtp.password_file"):
        load(write(tmp_path, text), environ={})


def test_every_problem_is_named_at_once_and_a_password_in_the_file_is_refused(tmp_path):
    text = """
[smtp]
host = ""
port = 70000
password = "typed-into-the-file"
from = "not an address"
tls = false

[escalation]
core_start = "18:00"
core_end = "08:00"
core_days = ["Funday"]
holidays = ["25/12/2026"]

[extra]
"""
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, text), environ={})
    message = str(err.value)
    for expected in ("smtp.host: missing", "smtp.port: 70000 is not a number from 1 to 65535",
                     "smtp.password: not kept in this file", "smtp.from: 'not an address' is not a valid email",
                     "smtp.tls: not a setting", "escalation.fallback: missing",
                     "escalation.core_end: 08:00 is not after core_start 18:00", "escalation.core_days: ['Funday']",
                     "escalation.holidays[0]: '25/12/2026' is not a date", "extra: not a section"):
        assert expected in message, message
    assert "typed-into-the-file" not in message


def test_a_missing_or_broken_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load(tmp_path / "absent.toml", environ={})
    with pytest.raises(ConfigError, match="not a TOML file"):
        load(write(tmp_path, "[smtp\n"), environ={})


def test_core_hours_default_to_every_day_the_rooms_seven_day_cover(tmp_path):
    """DOMAIN: the room is staffed 08:00-18:00 seven days a week; the default was Monday to Friday, so a
    Saturday 10:00 alert was emailed to the Director on-call, not the room lead on shift."""
    (tmp_path / "smtp.password").write_text("pass\n")
    text = GOOD.replace('core_days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]\n', "")
    policy = load(write(tmp_path, text), environ={}).policy
    assert policy.core.days == frozenset(range(7))
    saturday = datetime(2026, 1, 10, 10, 0, tzinfo=timezone.utc)
    assert policy.rota_at(saturday) == "Tactical lead"
