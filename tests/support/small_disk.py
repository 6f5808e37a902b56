"""A real small filesystem for disk-full tests: a tmpfs mounted on a folder (root only; skipped
otherwise), unmounted after, however the test ends."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mount(disk: Path, size: str | int, *options: str) -> None:
    """Mount a tmpfs of ``size`` (bytes, or e.g. ``"12m"``) on ``disk``; skip the test if it cannot be."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join((*options, f"size={size}", "mode=0700")),
                           "tmpfs", str(disk)], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")


def unmount(disk: Path) -> None:
    if subprocess.run(["umount", str(disk)], capture_output=True, timeout=10).returncode != 0:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=10)


@contextlib.contextmanager
def small_disk(disk: Path, size: str | int) -> Iterator[Path]:
    disk.mkdir(parents=True, exist_ok=True)
    mount(disk, size)
    try:
        yield disk
    finally:
        unmount(disk)
