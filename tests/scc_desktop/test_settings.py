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
    assert "setting colour: unknown to this version, kept as it is" in s.problems


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


def test_entries_this_version_cannot_use_are_written_back_untouched(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"theme": "dark", "hub_url": "http://hub.example.nhs.uk", "future": [1, 2]}))
    s = settings_mod.load(path)
    assert s.hub_url is None                      # not used: it would send the token in clear
    s.update(text_scale=1.5)
    saved = json.loads(path.read_text())
    assert saved["future"] == [1, 2] and saved["hub_url"] == "http://hub.example.nhs.uk"
    s.update(hub_url="https://hub.example.nhs.uk")   # the user's own change replaces it
    assert json.loads(path.read_text())["hub_url"] == "https://hub.example.nhs.uk"


def test_an_update_with_one_bad_value_changes_nothing(tmp_path):
    s = settings_mod.load(tmp_path / "settings.json")
    with pytest.raises(ValueError, match="setting window_size"):
        s.update(last_view="offload", window_size=[10, 10])
    assert s.last_view == "overview" and not (tmp_path / "settings.json").exists()


def test_a_folder_where_the_file_should_be_does_not_stop_the_start(tmp_path):
    (tmp_path / "settings.json").mkdir()
    s = settings_mod.load(tmp_path / "settings.json")
    assert s.theme == "light" and "changes will not be saved" in s.problems[0]
    s.update(theme="dark")                        # no crash, nothing written
    assert (tmp_path / "settings.json").is_dir()
