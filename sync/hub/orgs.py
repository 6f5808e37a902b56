"""The ICS's organisations: who may submit, which pillar each is scored in, roll-up sizes.

Added one by one (``scc-desktop hub org add``), from a file (``org import``,
or ``hub serve --orgs FILE`` at start). A file is CSV with the header
``ods_code,name,sector[,size][,region][,active]`` or JSON (a list of objects
with those keys). Adding or changing an organisation puts an
``organisation`` item on the feed; re-importing an unchanged one does not.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from models.replica.orm.reference import SECTORS
from sync.hub import schema as s

_ODS = re.compile(r"^[A-Z0-9]{3,12}$")
FIELDS = ("ods_code", "name", "sector", "size", "region", "active")


class OrgError(ValueError):
    """Organisation data is invalid; the message lists every problem."""


@dataclass(frozen=True)
class OrgSpec:
    ods_code: str
    name: str
    sector: str
    size: float | None = None  # roll-up weight: core G&A beds for acute trusts
    region: str | None = None
    active: bool = True

    def problems(self, where: str) -> list[str]:
        out = []
        if not _ODS.match(self.ods_code or ""):
            out.append(f"{where}: ods_code '{self.ods_code}' must be 3 to 12 capital letters or digits")
        if not (self.name or "").strip():
            out.append(f"{where}: name is empty")
        if self.sector not in SECTORS:
            out.append(f"{where}: sector '{self.sector}' is not one of {', '.join(SECTORS)}")
        if self.size is not None and (not math.isfinite(self.size) or self.size <= 0):
            out.append(f"{where}: size must be a number above 0, got {self.size!r}")
        return out


def _spec(raw: dict[str, Any], where: str, problems: list[str]) -> OrgSpec | None:
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(FIELDS)})")
        return None
    size = raw.get("size")
    try:
        size = None if size in (None, "") else float(size)
    except (TypeError, ValueError):
        problems.append(f"{where}: size '{size}' is not a number")
        return None
    active = raw.get("active", True)
    if isinstance(active, str):
        active = active.strip().lower() not in ("0", "false", "no", "n", "")
    spec = OrgSpec(str(raw.get("ods_code") or "").strip().upper(), str(raw.get("name") or "").strip(),
                   str(raw.get("sector") or "").strip().lower(), size, (raw.get("region") or None), bool(active))
    found = spec.problems(where)
    problems.extend(found)
    return None if found else spec


def read_org_file(path: Path | str) -> list[OrgSpec]:
    """Organisations from a CSV or JSON file; raises OrgError naming every problem (file, row, field)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OrgError(f"cannot read {path}: {exc.strerror or exc}") from None
    problems: list[str] = []
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise OrgError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise OrgError(f"{path}: expected a JSON list of objects")
        labelled = [(f"{path} item {i}", r) for i, r in enumerate(rows)]
    else:
        reader = csv.DictReader(io.StringIO(text))
        labelled = [(f"{path} row {i}", {k.strip().lower(): (v or "").strip() for k, v in r.items() if k})
                    for i, r in enumerate(reader, start=2)]
    specs = [_spec(raw, where, problems) for where, raw in labelled]
    codes = [sp.ods_code for sp in specs if sp]
    problems += [f"{path}: ods_code {c} appears more than once" for c in sorted({c for c in codes if codes.count(c) > 1})]
    if problems:
        raise OrgError("\n".join(problems))
    if not specs:
        raise OrgError(f"{path}: no organisations in the file")
    return [sp for sp in specs if sp]


def upsert(hub, specs: list[OrgSpec]) -> dict[str, int]:
    """Add or update organisations in one transaction; returns counts added/updated/unchanged."""
    problems = [msg for sp in specs for msg in sp.problems(sp.ods_code or "(no code)")]
    if problems:
        raise OrgError("\n".join(problems))
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    with hub.db.write() as w:
        touched: list[str] = []
        for sp in specs:
            prior = w.conn.execute(select(s.organisation).where(s.organisation.c.ods_code == sp.ods_code)).first()
            values = {"name": sp.name, "sector": sp.sector, "size": sp.size, "region": sp.region,
                      "active": sp.active, "updated_at": w.now}
            if prior is None:
                w.conn.execute(insert(s.organisation).values(ods_code=sp.ods_code, **values))
                counts["added"] += 1
            elif OrgSpec(prior.ods_code, prior.name, prior.sector, prior.size, prior.region, prior.active) == sp:
                counts["unchanged"] += 1
                continue
            else:
                w.conn.execute(update(s.organisation).where(s.organisation.c.ods_code == sp.ods_code).values(**values))
                counts["updated"] += 1
                touched.append(prior.sector)
            w.emit("organisation", asdict(sp), sp.ods_code)
            touched.append(sp.sector)
        hub.opel.rollup(w, touched, only_if_shown=True)
    return counts


def list_orgs(hub) -> list[dict[str, Any]]:
    with hub.db.read() as conn:
        rows = conn.execute(select(s.organisation).order_by(s.organisation.c.ods_code)).all()
    return [{k: v for k, v in r._mapping.items() if k != "updated_at"} for r in rows]


def names(db, codes: Iterable[str | None]) -> dict[str, str]:
    """The providers' names by ODS code (what an escalation e-mail or page says about their alerts)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    with db.read() as conn:
        return dict(conn.execute(select(s.organisation.c.ods_code, s.organisation.c.name)
                                 .where(s.organisation.c.ods_code.in_(wanted))).all())
