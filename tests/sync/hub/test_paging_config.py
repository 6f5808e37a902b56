"""The escalation file's ``[paging]`` section (sync.hub.paging_config): read whole, the HMAC key never from
the file itself, every problem named by its setting alongside the file's others."""

from __future__ import annotations

import pytest

from sync.hub.escalation_config import ConfigError, load
from tests.sync.hub.test_escalation_config import GOOD, write

PAGING = """
[paging]
url = "https://paging.example.nhs.uk/v1/pages"
secret_file = "paging.secret"
ca_file = "paging-ca.pem"
scc_phone = "0300 123 4567"
room_name = "Test ICB SCC"
after_minutes = 5
every_escalation = true
timeout_seconds = 4
retry_seconds = 20
"""
KEY = "k" * 40


def files(tmp_path):
    (tmp_path / "smtp.password").write_text("s3cret pass\n")
    (tmp_path / "paging.secret").write_text(KEY + "\n")
    (tmp_path / "paging-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")


def test_a_whole_paging_section_is_read_with_its_key_from_its_own_file(tmp_path):
    files(tmp_path)
    config = load(write(tmp_path, GOOD + PAGING), environ={})
    pg = config.paging
    assert (pg.gateway.url, pg.gateway.secret, pg.gateway.ca_file, pg.gateway.timeout_seconds) == (
        "https://paging.example.nhs.uk/v1/pages", KEY, str(tmp_path / "paging-ca.pem"), 4)
    assert (pg.scc_phone, pg.room_name, pg.after_minutes, pg.every_escalation, pg.retry_seconds) == (
        "0300 123 4567", "Test ICB SCC", 5, True, 20)


def test_no_paging_section_pages_nobody_and_the_key_may_come_from_the_environment(tmp_path):
    files(tmp_path)
    assert load(write(tmp_path, GOOD), environ={}).paging is None
    text = GOOD + PAGING.replace('secret_file = "paging.secret"\n', "")
    assert load(write(tmp_path, text), environ={"SCC_HUB_PAGING_SECRET": KEY}).paging.gateway.secret == KEY
    with pytest.raises(ConfigError, match=r"paging.secret_env: \$SCC_HUB_PAGING_SECRET is not set"):
        load(write(tmp_path, text), environ={})


def test_a_bad_paging_section_names_each_setting_and_never_echoes_a_secret(tmp_path):
    files(tmp_path)
    bad = PAGING.replace('"https://paging.example.nhs.uk/v1/pages"', '"http://paging.example.nhs.uk/"') \
        .replace('"0300 123 4567"', '"ring us"').replace("after_minutes = 5", "after_minutes = -1") \
        .replace("every_escalation = true", 'every_escalation = "yes"').replace('"paging-ca.pem"', '"nope.pem"') \
        .replace("timeout_seconds = 4", "timeout_seconds = 600\nsecret = \"in-the-file\"\npager = 1")
    (tmp_path / "paging.secret").write_text("short\n")
    with pytest.raises(ConfigError) as exc:
        load(write(tmp_path, GOOD + bad), environ={})
    text = str(exc.value)
    for said in ("paging.url: 'http://paging.example.nhs.uk/' is not an https:// address",
                 "paging.scc_phone: missing or not a phone number", "paging.after_minutes: -1 is not a number",
                 "paging.every_escalation: 'yes' is not true or false", "paging.ca_file: 'nope.pem' is not a file",
                 "paging.timeout_seconds: 600 is not a number from 1 to 60",
                 "paging.secret: not kept in this file", "paging.pager: not a setting",
                 "holds 5 characters; the HMAC key needs at least 16"):
        assert said in text, (said, text)
    assert "in-the-file" not in text and "short" not in text
