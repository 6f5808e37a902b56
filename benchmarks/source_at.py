"""A benchmark's "before": one source file as it is at another git revision (or in a copy given), loaded as
a module of its own beside the working tree's, so both can be timed in one process on the same data.

    source_at.add_arguments(parser, "sync/apply.py")          # --baseline REV (default main), --baseline-file
    before = source_at.load("sync/apply.py", args.baseline, args.baseline_file)   # module "apply_baseline"
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def add_arguments(parser, path: str) -> None:
    """``--baseline`` (a git revision, default ``main``) and ``--baseline-file`` (a copy) of ``path``."""
    parser.add_argument("--baseline", default="main", help=f"git revision of {path} to compare with")
    parser.add_argument("--baseline-file", help=f"a copy of {path} to compare with instead")


def load(path: str, rev: str, file: str | None = None):
    """``path`` (from the repository's root) at git revision ``rev`` (or in ``file``), as the module
    ``<stem>_baseline``."""
    if file:
        source = Path(file).read_text(encoding="utf-8")
    else:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
                                check=True, capture_output=True, text=True).stdout
    stem = Path(path).stem
    folder = Path(tempfile.mkdtemp(prefix=f"scc-bench-{stem}-src-"))
    name = f"{stem}_baseline"
    copy = folder / f"{name}.py"
    copy.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, copy)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    shutil.rmtree(folder)
    return module
