"""The Linux desktop entry and icon, and installer/linux/install putting them in place.

The install script copies whatever bundle folder it is given; these tests give it a small
stand-in folder (the real bundle is tested in test_bundle_smoke.py) and a temporary home.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "installer" / "linux"
validator = shutil.which("desktop-file-validate")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="a shell script for Linux desktops")


def entry(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str   # keys are case-sensitive in desktop entries
    parser.read(path, encoding="utf-8")
    return parser


@pytest.mark.skipif(validator is None, reason="desktop-file-validate not installed (desktop-file-utils)")
def test_desktop_entry_passes_the_freedesktop_validator():
    done = subprocess.run([validator, str(LINUX / "scc-desktop.desktop")], capture_output=True, text=True,
                          timeout=30)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_desktop_entry_starts_the_app_and_offers_the_demo():
    main = entry(LINUX / "scc-desktop.desktop")["Desktop Entry"]
    assert (main["Type"], main["Exec"], main["Icon"], main["Terminal"]) == (
        "Application", "scc-desktop", "scc-desktop", "false")
    assert entry(LINUX / "scc-desktop.desktop")["Desktop Action demo"]["Exec"] == "scc-desktop demo"


def test_icon_is_a_square_svg():
    root = ET.parse(LINUX / "scc-desktop.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == root.get("height")
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def bundle(tmp_path) -> Path:
    folder = tmp_path / "dist" / "scc-desktop"
    (folder / "_internal").mkdir(parents=True)
    program = folder / "scc-desktop"
    program.write_text("#!/bin/sh\necho stand-in\n")
    program.chmod(0o755)
    return folder


def install(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([str(LINUX / "install"), *args], env=env, capture_output=True, text=True, timeout=60)


@posix_only
def test_install_puts_program_entry_and_icon_for_this_user(home, bundle):
    done = install(home, str(bundle))
    assert done.returncode == 0, done.stderr
    program = home / ".local/lib/scc-desktop/scc-desktop"
    assert os.access(program, os.X_OK)
    assert (home / ".local/bin/scc-desktop").resolve() == program.resolve()
    installed = home / ".local/share/applications/scc-desktop.desktop"
    assert entry(installed)["Desktop Entry"]["Exec"] == f'"{program}"'   # menus do not search ~/.local/bin
    assert entry(installed)["Desktop Action demo"]["Exec"] == f'"{program}" demo'
    assert (home / ".local/share/icons/hicolor/scalable/apps/scc-desktop.svg").read_bytes() == \
        (LINUX / "scc-desktop.svg").read_bytes()
    if validator:
        done = subprocess.run([validator, str(installed)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stdout + done.stderr


@posix_only
def test_reinstall_replaces_the_program_and_uninstall_keeps_the_users_data(home, bundle):
    assert install(home, str(bundle)).returncode == 0
    stale = home / ".local/lib/scc-desktop/_internal/old-module.so"
    stale.write_text("from the previous version")
    data = home / ".local/share/scc-desktop"
    data.mkdir(parents=True)
    (data / "replica.db").write_bytes(b"encrypted")
    assert install(home, str(bundle)).returncode == 0
    assert not stale.exists()                       # an upgrade leaves no file of the old version
    done = install(home, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not (home / ".local/lib/scc-desktop").exists()
    assert not (home / ".local/bin/scc-desktop").exists()
    assert not (home / ".local/share/applications/scc-desktop.desktop").exists()
    assert (data / "replica.db").read_bytes() == b"encrypted"
    assert "kept" in done.stdout
    # Each folder the app keeps something in is named (the logs' was missing: scc_desktop/paths.py, log_dir).
    for folder in (".local/share/scc-desktop", ".config/scc-desktop", ".local/state/scc-desktop"):
        assert f"{home}/{folder}" in done.stdout, (folder, done.stdout)


@posix_only
def test_install_without_a_bundle_says_how_to_build_one(home, tmp_path):
    done = install(home, str(tmp_path / "nothing-here"))
    assert done.returncode == 1
    assert "installer/build" in done.stderr
