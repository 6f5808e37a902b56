"""Schema-driven fuzz of the hub's API (schemathesis, every check) with a real token for each role.

A real hub (``scc-desktop hub serve --openapi`` on loopback, its own SQLite file, the test ICS's
organisations, one token per role: ``tests/support/hub.py``) publishes its OpenAPI description
to the admin token (``sync/hub/openapi.py``). ``schemathesis run`` then fuzzes every operation of
it once per role, in the examples, coverage and fuzzing phases, with ``--checks all``: no
5xx, every status and body as described (``status_code_conformance``,
``content_type_conformance``, ``response_headers_conformance``, ``response_schema_conformance``),
data the description forbids refused and data it allows not refused for its shape
(``negative_data_rejection``, ``positive_data_acceptance``), a missing required header refused,
an undeclared method answered 405 with ``Allow``, a request without the token refused
(``ignored_auth``), and more. One more check of ours (``fuzz_hub_checks.py``): every 4xx body
says what is wrong (``code`` and ``message``) and a 422 names each field with its reason.

The statuses the two data checks expect are schemathesis's defaults plus what the hub answers by
design: 413 (too large) and 426 (another major protocol version) for refused data; for allowed
data on the three POSTs, 422, because an item's validity also depends on what no schema can say
(the metric's valid range, a time no later than 15 minutes ahead of the hub's clock, the
organisation being known and matching a submitter's token). The feed's long-poll cap (30 s) is
cut to 50 ms in this hub process (``--wait-cap``), or each ``wait`` drawn would hold a request
for 30 s; what the hub does with the value is unchanged.

The stateful phase is left out: the API has no links between operations (every resource is
named by the client: submission ids, record UUIDs, feed positions), and on a loaded machine it
spent 60% of a run's time on 7% of its requests. Counts (requests sent, failures per check) come
from schemathesis's NDJSON event stream. Usage::

    .venv/bin/python benchmarks/fuzz_hub_api.py                       # >= 10,000 requests (a few minutes)
    .venv/bin/python benchmarks/fuzz_hub_api.py --examples 3 --roles admin,viewer   # a quick look
    .venv/bin/python benchmarks/fuzz_hub_api.py --update-doc docs/reliability.md

``pytest -m slow tests/sync/hub/test_openapi_fuzz.py`` runs the long version; the CI run the short.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.hub import ROLES, start_hub  # noqa: E402

CHECKS_HOOKS = Path(__file__).with_name("fuzz_hub_checks.py")
NEGATIVE_STATUSES = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "426", "428", "429"]
POSITIVE_STATUSES = ["2xx", "401", "403", "404", "409", "429"]
POSTS = ("/v1/submissions", "/v1/submissions/csv", "/v1/records")
DOC_SECTION = "## Bad input"


@dataclass
class RoleRun:
    role: str
    requests: int = 0
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)   # check name -> failures
    errors: list[str] = field(default_factory=list)       # schemathesis could not run something
    seconds: float = 0.0
    exit_code: int = 0
    output: str = ""


def config_toml() -> str:
    """schemathesis.toml: the statuses the hub answers by design (module docstring)."""
    q = lambda values: "[" + ", ".join(f'"{v}"' for v in values) + "]"  # noqa: E731
    lines = ["[checks.negative_data_rejection]", f"expected-statuses = {q(NEGATIVE_STATUSES)}",
             "[checks.positive_data_acceptance]", f"expected-statuses = {q(POSITIVE_STATUSES)}"]
    for path in POSTS:
        lines += ["", "[[operations]]", f'include-path = "{path}"',
                  "[operations.checks.positive_data_acceptance]",
                  f"expected-statuses = {q([*POSITIVE_STATUSES, '422'])}"]
    return "\n".join(lines) + "\n"


def _count(events_path: Path, run: RoleRun) -> None:
    """Requests, statuses and failures from the NDJSON events (one JSON object per line)."""
    if not events_path.exists():
        return
    seen_failures: set[tuple[str, str]] = set()
    with open(events_path, encoding="utf-8") as fh:
        for line in fh:
            event = json.loads(line)
            (kind, body), = event.items() if len(event) == 1 else (("?", event),)
            if kind == "ScenarioFinished":
                recorder = body.get("recorder") or {}
                interactions = recorder.get("interactions") or {}
                cases = recorder.get("cases") or {}
                run.cases += len(cases)
                for interaction in interactions.values():
                    run.requests += 1
                    response = interaction.get("response") or {}
                    run.statuses[str(response.get("status_code", "none"))] += 1
                for checks in (recorder.get("checks") or {}).values():
                    for check in checks:
                        if str(check.get("status")).lower() == "failure":
                            key = (check.get("name"), json.dumps(check.get("failure_info") or {}, sort_keys=True)[:300])
                            if key not in seen_failures:
                                seen_failures.add(key)
                                run.failures[check.get("name")] += 1
            elif kind == "NonFatalError":
                run.errors.append(str(body.get("info") or body)[:400])


def fuzz_role(hub, doc_path: Path, role: str, examples: int, seed: int, workdir: Path,
              max_time: float | None = None) -> RoleRun:
    run = RoleRun(role)
    events = workdir / f"events-{role}.ndjson"
    config = workdir / "schemathesis.toml"
    config.write_text(config_toml(), encoding="utf-8")
    exe = Path(sys.executable).with_name("schemathesis")
    cmd = [str(exe), "--config-file", str(config), "--no-color", "run", str(doc_path), "--url", hub.url,
           "-H", f"Authorization: Bearer {hub.tokens[role]}", "--checks", "all", "--max-examples", str(examples),
           "--phases", "examples,coverage,fuzzing",
           "--seed", str(seed), "--workers", "1", "--report", "ndjson", "--report-ndjson-path", str(events),
           "--generation-database", "none", "--request-timeout", "20", "--continue-on-failure",
           "--suppress-health-check", "all", "--output-truncate", "true"]
    if max_time:
        cmd += ["--max-time", str(int(max_time))]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(CHECKS_HOOKS), "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=3600)
    run.seconds = time.monotonic() - started
    run.exit_code, run.output = done.returncode, (done.stdout + done.stderr)
    _count(events, run)
    return run


WAIT_CAP = "import sync.hub.feed as _feed\n_feed.MAX_WAIT_SECONDS = 0.05\n"


def start_described_hub(workdir: Path):
    return start_hub(workdir, args=("--openapi", "--no-alerts"), preamble=WAIT_CAP)


def fetch_description(hub, workdir: Path) -> Path:
    r = hub.request("GET", "/openapi.json", role="admin")
    r.raise_for_status()
    path = workdir / "openapi.json"
    path.write_text(json.dumps(r.json()), encoding="utf-8")
    return path


def fuzz(examples: int, roles=ROLES, seed: int = 22, workdir: Path | None = None,
         max_time: float | None = None) -> list[RoleRun]:
    workdir = Path(workdir or tempfile.mkdtemp(prefix="scc-fuzz-"))
    hub = start_described_hub(workdir)
    try:
        doc = fetch_description(hub, workdir)
        runs = [fuzz_role(hub, doc, role, examples, seed + i, workdir, max_time) for i, role in enumerate(roles)]
        log = hub.log()
    finally:
        hub.stop()
    for run in runs:
        run.errors += [f"hub log: {line}" for line in log.splitlines() if "Traceback" in line or "ERROR" in line]
    return runs


def report(runs: list[RoleRun], examples: int) -> str:
    total = sum(r.requests for r in runs)
    statuses = sum((r.statuses for r in runs), Counter())
    failures = sum((r.failures for r in runs), Counter())
    fivexx = sum(n for s, n in statuses.items() if s.startswith("5"))
    lines = [DOC_SECTION, "",
             "A schema-driven fuzz of the hub's API (`benchmarks/fuzz_hub_api.py`; `pytest -m slow "
             "tests/sync/hub/test_openapi_fuzz.py`): a real hub on loopback publishes its OpenAPI description "
             "(`hub serve --openapi`, admins only) and schemathesis fuzzes every operation with a real token "
             "for each role (examples, coverage and fuzzing phases) and every check (`--checks all`, plus ours: each 4xx says what is "
             "wrong, a 422 names each field). The property tests of every parser are "
             "`tests/sync/hub/test_intake_properties.py` and `tests/models/test_input_properties.py`.", "",
             f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, up to {examples} examples per "
             f"operation and phase, {len(runs)} role(s).", "",
             "| role | requests | test cases | 2xx | 4xx | 5xx | failed checks | seconds |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    for r in runs:
        two = sum(n for s, n in r.statuses.items() if s.startswith("2"))
        four = sum(n for s, n in r.statuses.items() if s.startswith("4"))
        five = sum(n for s, n in r.statuses.items() if s.startswith("5"))
        failed = ", ".join(f"{k} {v}" for k, v in sorted(r.failures.items())) or "none"
        lines.append(f"| {r.role} | {r.requests:,} | {r.cases:,} | {two:,} | {four:,} | {five:,} | {failed} "
                     f"| {r.seconds:.0f} |")
    lines += ["", f"**{total:,} requests, {fivexx} answered 5xx, {sum(failures.values())} check failure(s).** "
              f"Statuses: {', '.join(f'{s} x{n:,}' for s, n in sorted(statuses.items()))}.", ""]
    return "\n".join(lines)


BEGIN, END = "<!-- fuzz_hub_api.py: begin -->", "<!-- fuzz_hub_api.py: end -->"


def update_doc(path: Path, section: str) -> None:
    """Put the run's counts in ``path``'s ``## Bad input`` section between BEGIN and END (text around
    them is kept); a file without the section gets it at the end."""
    body = section.split("\n", 2)[2] if section.startswith(DOC_SECTION) else section
    block = f"{BEGIN}\n{body.strip()}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    elif DOC_SECTION in text:
        at = text.index(DOC_SECTION) + len(DOC_SECTION)
        text = text[:at] + "\n\n" + block + "\n" + text[at:]
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + f"{DOC_SECTION}\n\n{block}\n"
    path.write_text(text.rstrip() + "\n", encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=280, help="schemathesis --max-examples (default 280: over 10,000 requests in all for the seven roles)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--min-requests", type=int, default=10_000, help="fail unless at least this many were sent")
    parser.add_argument("--update-doc", type=Path, metavar="MD", help="write the counts to this file's "
                        f"'{DOC_SECTION}' section")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    runs = fuzz(args.examples, tuple(args.roles.split(",")), args.seed, args.workdir)
    text = report(runs, args.examples)
    print(text)
    for r in runs:
        if r.failures or r.exit_code not in (0,):
            print(f"--- {r.role}: exit {r.exit_code}\n{r.output[-6000:]}", file=sys.stderr)
        for e in r.errors:
            print(f"--- {r.role}: {e}", file=sys.stderr)
    if args.update_doc:
        update_doc(args.update_doc, text)
    total = sum(r.requests for r in runs)
    bad = any(r.failures or r.exit_code for r in runs) or total < args.min_requests
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
