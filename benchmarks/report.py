"""What every benchmark script shares: machine readings, number formatting, running a
measurement in a fresh interpreter, and putting its section into docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load() -> float | None:
    """The 1-minute load average (other work on the machine), where the OS has one."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def rss_peak_mib() -> float | None:
    """This process's RSS high-water mark.

    On Linux ``/proc/self/status`` VmHWM: ``ru_maxrss`` would not do, Linux
    keeps it across ``execve``, so a child would report its parent's peak
    (e.g. the parent's scrypt) when its own is lower.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def fmt(value, spec: str, missing: str = "n/a") -> str:
    return missing if value is None else format(value, spec)


def run_child(script: str, args: list[str], *, what: str, env: dict | None = None,
              timeout: float | None = None) -> dict:
    """Run ``script --child ARGS`` in a fresh interpreter; its last stdout line is a JSON result."""
    cmd = [sys.executable, str(Path(script).resolve()), "--child", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {what} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def write_outputs(text: str, *, out: Path | None = None, json_path: Path | None = None,
                  json_value=None) -> None:
    """A benchmark's ``--out`` (the markdown) and ``--json`` (its figures) files, folders made."""
    for path, content in ((out, text), (json_path, None if json_path is None else json.dumps(json_value, indent=1))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")


def block(name: str, section: str) -> str:
    return f"<!-- {name} -->\n{section.rstrip()}\n<!-- /{name} -->\n"


def update_doc(path: Path, name: str, section: str) -> None:
    """Put ``section`` into a report (e.g. docs/benchmarks.md) without touching the rest.

    Replaces the block a previous run put there (between ``<!-- NAME -->``
    markers), else goes before the notes block or "## How to run", else at the end.
    """
    new = block(name, section)
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->\n?", re.S)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if pattern.search(text):
        text = pattern.sub(lambda _m: new, text, count=1)
    else:
        at = min((i for i in (text.find("<!-- notes -->"), text.find("## How to run")) if i >= 0),
                 default=len(text))
        text = text[:at] + new + ("\n" if at < len(text) else "") + text[at:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run_keeping_json(parser, run, argv=None) -> dict:
    """Parses the command line (adding ``--json``), runs the measurement and writes its results there when asked:
    what the before/after benchmarks' mains share."""
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    out = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out
