"""Settings: declared once, saved atomically, bad values and bad files never stop the start."""

from __future__ import annotations

import json

import pytest

from scc_desktop import settings as settings_mod


def test_defaults_when_there_is_no_file(tmp_path):
    s = settings_mod.load(tmp_path / "settings.json")
    assert (s.theme, s.text_scale, s.last_view, s.hub_url) == ("light", 1.0, "overview", None)
    assert s.problems == []


def test_changes_survive_a_restart(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    s = settings_mod.load(path)
    s.update(theme="dark", text_scale=2.0, hub_url="https://hub.example.nhs.uk", window_size=[3840, 2160])
    again = settings_mod.load(path)
    assert (again.theme, again.text_scale, again.hub_url, again.window_size) == (
        "dark", 2.0, "https://hub.example.nhs.uk", [3840, 2160])
    assert not list(path.parent.glob("*.tmp"))  # written through a temp file, renamed


@pytest.mark.parametrize("name, value, reason", [
    ("theme", "purple", "must be one of light, dark, high_contrast"),
    ("text_scale", 7, "must be one of"),
    ("hub_url", "ftp://hub", "must start with https://"),
    ("hub_url", "http://hub.example.nhs.uk", "token in clear"),
    ("window_size", [10, 10], "width, height"),
])
def test_a_bad_value_is_refused_naming_the_setting_and_reason(tmp_path, name, value, reason):
    s = settings_mod.load(tmp_path / "settings.json")
    with pytest.raises(ValueError, match=f"setting {name}: .*{reason}"):
        s.set(name, value)


def test_bad_values_in_the_file_fall_back_to_defaults_and_are_reported(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"theme": "purple", "text_scale": 1.5, "colour": "red"}))
    s = settings_mod.load(path)
    assert s.theme == "light" and s.text_scale == 1.5
    assert any(p.startswith("setting theme: 'purple' must be one of") for p in s.problems)
    assert "setting colour: unknown, ignored" in s.problems


def test_an_unreadable_file_is_kept_aside_not_deleted(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    s = settings_mod.load(path)
    assert s.theme == "light"
    assert (tmp_path / "settings.json.bad").read_text() == "{not json"
    assert "settings.json.bad" in s.problems[0]
    s.update(theme="dark")
    assert settings_mod.load(path).theme == "dark"


def test_http_is_allowed_only_for_a_hub_on_this_computer(tmp_path):
    s = settings_mod.load(tmp_path / "settings.json")
    s.set("hub_url", "http://127.0.0.1:8765")
    assert s.hub_url == "http://127.0.0.1:8765"
