"""``installer/build --inputs-changed``: when CI rebuilds the bundle (.ci/run's second stage).

Each test runs the real script on a copy of installer/ and pyproject.toml in a temporary
folder (the script finds the project from its own path).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHANGED, UNCHANGED = 0, 10


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(ROOT / "installer", tmp_path / "installer",
                    ignore=shutil.ignore_patterns("__pycache__", "bundle.inputs.sha256"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def inputs_changed(project: Path, env: dict | None = None) -> int:
    done = subprocess.run([sys.executable, str(project / "installer" / "build"), "--inputs-changed"],
                          capture_output=True, text=True, timeout=30, env=env)
    assert done.returncode in (CHANGED, UNCHANGED), done.stderr
    return done.returncode


def load(project: Path):
    loader = SourceFileLoader("installer_build", str(project / "installer" / "build"))
    build = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(build)
    return build


def record(project: Path) -> None:
    """What a passing ``installer/build --smoke`` leaves behind."""
    build = load(project)
    build.HASH_FILE.write_text(f"{build.inputs_hash()}  installer/** pyproject.toml\n")


def test_no_recorded_hash_means_build(project):
    assert inputs_changed(project) == CHANGED


def test_recorded_hash_means_no_build_until_an_input_changes(project):
    record(project)
    assert inputs_changed(project) == UNCHANGED
    (project / "installer" / "scc_desktop.spec").write_text(
        (project / "installer" / "scc_desktop.spec").read_text() + "\n# changed\n")
    assert inputs_changed(project) == CHANGED


def test_a_dependency_change_means_build(project):
    record(project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"requests>=2.32,<3"', '"requests>=2.33,<3"'))
    assert inputs_changed(project) == CHANGED


def test_a_new_file_in_installer_means_build(project):
    record(project)
    (project / "installer" / "linux" / "extra.txt").parent.mkdir(exist_ok=True)
    (project / "installer" / "linux" / "extra.txt").write_text("x")
    assert inputs_changed(project) == CHANGED


def test_bytecode_documentation_and_line_endings_do_not_count(project):
    record(project)
    (project / "installer" / "README.md").write_text("# rewritten\n")
    cache = project / "installer" / "__pycache__"
    cache.mkdir()
    (cache / "launch.cpython-311.pyc").write_bytes(b"\0" * 16)
    launch = project / "installer" / "launch.py"
    launch.write_bytes(launch.read_bytes().replace(b"\n", b"\r\n"))   # a Windows checkout
    assert inputs_changed(project) == UNCHANGED


def test_smoke_without_pytest_says_what_to_install_before_building(project, tmp_path):
    """installer/README.md's first line once installed '.[build]' only: the build ran two minutes,
    then the smoke test 'failed (pytest exit 1)' with "No module named pytest"."""
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    done = subprocess.run([str(python), str(project / "installer" / "build"), "--smoke",
                           "--dist", str(tmp_path / "dist"), "--work", str(tmp_path / "work")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "pytest is not installed here" in done.stderr and "'.[build,test]'" in done.stderr
    assert "PyInstaller" not in done.stderr   # refused before the build, not after it
    assert not (tmp_path / "dist").exists()


def test_a_new_release_of_a_dependency_within_its_range_means_build(project, tmp_path):
    """pyqtgraph 0.14.0 came in within pyproject's range and took 5 of 13 views down in the bundle while
    installer/ and pyproject.toml were unchanged. Here a newer pyqtgraph is installed (its metadata first on
    the path, as pip would leave it)."""
    record(project)
    newer = tmp_path / "site"
    (newer / "pyqtgraph-9.9.9.dist-info").mkdir(parents=True)
    (newer / "pyqtgraph-9.9.9.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pyqtgraph\nVersion: 9.9.9\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(newer), os.environ.get("PYTHONPATH")]))}
    assert inputs_changed(project, env) == CHANGED
    assert inputs_changed(project) == UNCHANGED


def test_the_versions_are_the_apps_run_time_dependencies_not_its_test_or_build_tools(project):
    names = {v.split("==")[0] for v in load(project).runtime_versions()}
    assert {"pyside6-essentials", "pyqtgraph", "apsw-sqlite3mc", "psycopg", "psycopg-binary", "numpy"} <= names
    assert not names & {"pytest", "pyinstaller", "pytest-qt", "playwright", "scc-desktop"}
