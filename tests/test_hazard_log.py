"""The clinical safety hazard log (docs/clinical-safety/) cannot rot.

Every hazard keeps its fields, every risk follows the matrix in the folder's README, every
existing control names at least one test, and every test the log cites still collects (a renamed,
moved or deleted test fails here, naming the id, so whoever changed it decides which test now proves
the control): looked up in this run's own collection where it took in the cited file whole (the whole
suite does), else by one ``pytest --collect-only`` in a subprocess for the rest.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import COLLECTED

ROOT = Path(__file__).resolve().parents[1]
SAFETY = ROOT / "docs" / "clinical-safety"
LOG = SAFETY / "hazard-log.md"
README = SAFETY / "README.md"
COLLECT_TIMEOUT_S = 240   # one collection of the ~155 cited modules: 18 s idle, 53-65 s with the machine loaded

SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very low", "Low", "Medium", "High", "Very high")
FIELDS = ("Hazard", "Causes", "Effect", "Possible harm", "Initial risk", "Residual risk", "Evidence", "Status")
STATUSES = ("Open", "Accepted", "Closed")
# The six, by a word of each title, so none can quietly leave the log.
REQUIRED = ("Stale data", "Wrong OPEL", "record lost", "alert not raised", "wrong contact", "should not")

TEST_ID = re.compile(r"tests/[\w/]+\.py::\w+")
HEADING = re.compile(r"^## (H-\d{2}): (.+)$", re.M)
FIELD = re.compile(r"^- \*\*([^*]+):\*\* ?(.*)$", re.M)
RISK = re.compile(r"^severity (\w+), likelihood ([A-Za-z ]+?), risk (\d)\b")
CONTROL = re.compile(r"^\| (H-\d{2}\.C\d+) \| (.+?) \| (.+) \|$", re.M)
SUMMARY = re.compile(r"^\| (H-\d{2}) \| (.+?) \| (\d) \| (\d) \|$", re.M)


class Hazard(NamedTuple):
    id: str
    title: str
    text: str   # the entry's markdown after its heading


def hazards(text: str) -> list[Hazard]:
    heads = list(HEADING.finditer(text))
    return [Hazard(h.group(1), h.group(2).strip(), text[h.end():nxt.start() if nxt else len(text)])
            for h, nxt in zip(heads, heads[1:] + [None])]


def matrix(readme: str) -> dict[tuple[str, str], int]:
    """The README's risk matrix: (likelihood, severity) -> risk."""
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| likelihood \\ severity |"))
    head = [c.strip() for c in lines[start].strip("|").split("|")][1:]
    assert tuple(head) == SEVERITIES, head
    table = {}
    for line in lines[start + 2:start + 2 + len(LIKELIHOODS)]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for severity, risk in zip(SEVERITIES, cells[1:]):
            table[(cells[0], severity)] = int(risk)
    assert {lik for lik, _ in table} == set(LIKELIHOODS), table
    return table


def problems(hazard: Hazard, risks: dict[tuple[str, str], int]) -> list[str]:
    """Everything wrong with one entry, in words naming the hazard and the field."""
    out, where = [], hazard.id
    fields: dict[str, list[str]] = {}
    for m in FIELD.finditer(hazard.text):
        fields.setdefault(m.group(1), []).append(m.group(2).strip())
    for name in FIELDS:
        got = fields.get(name, [])
        if len(got) != 1 or not got[0]:
            out.append(f"{where}: field '{name}' must appear once with a value (found {len(got)})")
    scores = {}
    for name in ("Initial risk", "Residual risk"):
        value = (fields.get(name) or [""])[0]
        m = RISK.match(value)
        if not m:
            out.append(f"{where}: {name} must read 'severity S, likelihood L, risk N' (got {value!r})")
            continue
        severity, likelihood, risk = m.group(1), m.group(2), int(m.group(3))
        if severity not in SEVERITIES or likelihood not in LIKELIHOODS:
            out.append(f"{where}: {name}: unknown severity {severity!r} or likelihood {likelihood!r}")
        elif risks[(likelihood, severity)] != risk:
            out.append(f"{where}: {name}: the matrix gives {likelihood} x {severity} risk "
                       f"{risks[(likelihood, severity)]}, the log says {risk}")
        scores[name] = risk
    if len(scores) == 2 and scores["Residual risk"] > scores["Initial risk"]:
        out.append(f"{where}: residual risk {scores['Residual risk']} is above initial {scores['Initial risk']}")
    status = (fields.get("Status") or [""])[0]
    if not status.startswith(STATUSES):
        out.append(f"{where}: Status must start with one of {', '.join(STATUSES)} (got {status!r})")
    for section in ("**Existing controls**", "**Further controls**"):
        if section not in hazard.text:
            out.append(f"{where}: no {section} section")
    controls = CONTROL.findall(hazard.text)
    if not controls:
        out.append(f"{where}: no existing control")
    seen = set()
    for cid, _what, proof in controls:
        if not cid.startswith(where + ".") or cid in seen:
            out.append(f"{where}: control id {cid} is not this hazard's or is repeated")
        seen.add(cid)
        if not TEST_ID.search(proof):
            out.append(f"{where}: control {cid} names no test (file::test_name)")
    further = hazard.text.split("**Further controls**", 1)[-1].split("- **Residual risk:**", 1)[0]
    if "**Further controls**" in hazard.text and not re.search(r"^- ", further, re.M):
        out.append(f"{where}: Further controls lists nothing (say what is planned, or that nothing is)")
    return out


def summary_problems(text: str, entries: list[Hazard]) -> list[str]:
    """The table at the top of the log lists every entry with its title and its two risks."""
    rows = {m.group(1): m.groups()[1:] for m in SUMMARY.finditer(text)}
    out = []
    if list(rows) != [h.id for h in entries]:
        out.append(f"the summary lists {list(rows)}, the entries are {[h.id for h in entries]}")
    for h in entries:
        if h.id not in rows:
            continue
        title, initial, residual = rows[h.id]
        risks = [m.group(3) for m in re.finditer(r"- \*\*(?:Initial|Residual) risk:\*\* " + RISK.pattern[1:],
                                                   h.text, re.M)]
        if title != h.title or [initial, residual] != risks:
            out.append(f"{h.id}: the summary says {title!r} {initial}/{residual}, the entry {h.title!r} "
                       f"{'/'.join(risks)}")
    return out


def cited(text: str) -> list[str]:
    return sorted(set(TEST_ID.findall(text)))


def test_every_hazard_has_its_fields_controls_with_tests_and_risks_that_follow_the_matrix():
    text, risks = LOG.read_text(encoding="utf-8"), matrix(README.read_text(encoding="utf-8"))
    entries = hazards(text)
    assert len(entries) >= len(REQUIRED)
    ids = [h.id for h in entries]
    assert ids == sorted(set(ids)), f"hazard ids must be unique and in order: {ids}"
    found = [p for h in entries for p in problems(h, risks)] + summary_problems(text, entries)
    assert found == [], "\n".join(found)
    for word in REQUIRED:
        assert any(word.lower() in h.title.lower() for h in entries), f"no hazard titled with {word!r}"


def test_the_checker_names_a_missing_field_a_wrong_risk_and_a_control_without_a_test():
    risks = matrix(README.read_text(encoding="utf-8"))
    bad = hazards("""
## H-99: A planted bad entry

- **Hazard:** something
- **Causes:** something
- **Possible harm:** something
- **Initial risk:** severity Major, likelihood High, risk 2

**Existing controls**

| id | control | proven by |
|---|---|---|
| H-99.C1 | a control | none |

**Further controls**

- **Residual risk:** severity Major, likelihood Low, risk 4
- **Evidence:** none
- **Status:** Maybe
""")
    found = problems(bad[0], risks)
    assert "H-99: field 'Effect' must appear once with a value (found 0)" in found
    assert "H-99: Initial risk: the matrix gives High x Major risk 4, the log says 2" in found
    assert "H-99: Residual risk: the matrix gives Low x Major risk 3, the log says 4" in found
    assert "H-99: control H-99.C1 names no test (file::test_name)" in found
    assert any("Further controls lists nothing" in p for p in found)
    assert any(p.startswith("H-99: Status must start with") for p in found)


@pytest.mark.timeout(COLLECT_TIMEOUT_S + 60)
def test_every_test_the_log_cites_still_collects(request):
    ids = cited(LOG.read_text(encoding="utf-8"))
    assert ids, "the log cites no test"
    no_file = sorted({i.split("::")[0] for i in ids if not (ROOT / i.split("::")[0]).is_file()})
    assert no_file == [], f"the hazard log cites tests in files that do not exist: {no_file}"
    # This run collected some of the cited files already (the whole suite in CI collects them all):
    # their tests are looked up in that collection (tests/conftest.py), the rest collected here.
    session_ids, session_files = request.config.stash.get(COLLECTED, (frozenset(), frozenset()))
    missing = sorted(i for i in ids if i.split("::")[0] in session_files and i not in session_ids)
    rest = [i for i in ids if i.split("::")[0] not in session_files]
    assert not missing, "the hazard log cites tests that do not collect:\n" + "\n".join(missing)
    if not rest:
        return
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    # -m "": the suite deselects slow tests by default; a slow test is still a test that exists.
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-m", "", "--rootdir", str(ROOT), *rest],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=COLLECT_TIMEOUT_S)
    collected = {line.split("[", 1)[0] for line in done.stdout.splitlines() if "::" in line}
    not_found = re.findall(r"ERROR: not found: (\S+)", done.stdout + done.stderr)
    missing = sorted(set(rest) - collected)
    assert done.returncode == 0 and not missing, (
        f"the hazard log cites tests that do not collect (exit {done.returncode}):\n"
        + "\n".join(not_found or missing) + "\n" + (done.stdout + done.stderr)[-2000:])
