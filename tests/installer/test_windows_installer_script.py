"""installer/scc_desktop.iss agrees with the bundle and the app it installs.

Inno Setup runs only on Windows, so its script is checked here against what it must match:
the per-user data folder the app really uses, the bundle folder and programs the spec makes,
and the promises of issue 17 (no administrator rights, upgrade in place, data kept).
"""

from __future__ import annotations

import re
from pathlib import Path

from scc_desktop import paths

ROOT = Path(__file__).resolve().parents[2]
ISS = (ROOT / "installer" / "scc_desktop.iss").read_text(encoding="utf-8")
SPEC = (ROOT / "installer" / "scc_desktop.spec").read_text(encoding="utf-8")
# Upgrades in place find the installed copy by this id: changing it breaks every upgrade.
APP_ID = "{{7E3A1C52-4F0B-4C8E-9D61-2B5A8F3C9E14}"


def setting(name: str) -> str:
    found = re.findall(rf"^{name}=(.*)$", ISS, re.M)
    assert len(found) == 1, f"{name}: {found}"
    return found[0].strip()


def test_installs_for_the_user_without_administrator_rights():
    assert setting("PrivilegesRequired") == "lowest"
    assert setting("DefaultDirName").startswith(("{userpf}", "{localappdata}"))
    assert "{commonpf}" not in ISS and "{pf}" not in ISS and "{commonprograms}" not in ISS


def test_upgrades_in_place_under_a_stable_app_id():
    assert setting("AppId") == APP_ID
    assert setting("UsePreviousAppDir") == "yes"
    assert re.search(r'^Type: filesandordirs; Name: "\{app\}\\_internal"$', ISS, re.M)


def test_the_data_folder_it_offers_to_delete_is_the_apps():
    """On Windows platformdirs puts data, config, cache and logs in %LOCALAPPDATA%\\<app> (no author
    folder, since paths asks with appauthor=False; not roaming)."""
    source = Path(paths.__file__).read_text(encoding="utf-8")
    assert source.count("appauthor=False") == 4 and "roaming" not in source
    define = re.search(r'^#define DataFolder "\{localappdata\}\\(.+)"$', ISS, re.M)
    assert define and define.group(1) == paths.APP


def test_uninstall_asks_before_deleting_data_and_keeps_it_by_default():
    code = ISS.split("[Code]", 1)[1]
    assert "usPostUninstall" in code and "UninstallSilent()" in code
    assert "MB_DEFBUTTON2" in code   # "No" (keep) is the default answer
    assert code.index("MsgBox(") < code.index("DelTree(")


def test_shortcuts_start_the_windowed_program_the_spec_makes():
    assert re.search(r'^Source: "\{#BundleDir\}\\\*"', ISS, re.M)
    assert '#define BundleDir "..\\dist\\scc-desktop"' in ISS
    assert 'name="SCC Desktop", console=False' in SPEC and 'name="scc-desktop"' in SPEC
    start_menu = re.findall(r'^Name: "\{group\}\\[^"]+"; Filename: "([^"]+)"', ISS, re.M)
    assert start_menu.count("{app}\\SCC Desktop.exe") == 2
    assert (ROOT / "installer" / re.search(r"^SetupIconFile=(.+)$", ISS, re.M).group(1).replace("\\", "/")).is_file()
