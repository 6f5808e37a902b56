"""OPEL on receipt: score a provider when its parameters arrive, then roll up.

Inside the submission's write transaction the hub keeps the latest value of
each OPEL parameter per provider (latest by ``observed_at``; on a tie the
later receipt wins), scores the provider with :func:`models.rules.opel.score`
under its pillar's table, and puts an ``opel_assessment`` item on the feed
(``scope`` "provider"). It then recomputes that pillar's roll-up and the
system roll-up by the rules in ``resources/opel/system.toml`` and puts those
on the feed too (``scope`` "pillar" and "system").

A provider's pillar is its organisation's sector when a table exists for it.
Every active organisation of a pillar is an input to the pillar's roll-up,
and every pillar with active organisations an input to the system roll-up;
one with no data yet is a missing input, so the roll-up is incomplete (with
an ``at_least_level`` floor where the method allows) rather than lower than
the data supports. Pillars without organisations are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from models.rules.opel import OpelResult, score
from models.rules.opel_rollup import RollupError, RollupInput, RollupResult, SystemTable, pillar_score, system_score
from models.rules.opel_table import OpelTable
from sync.hub import opel_as_of
from sync.hub import schema as s
from sync.hub.db import Writer, dumps

_oc, _lv = s.opel_current, s.latest_value
_SET_CURRENT = update(_oc).where(_oc.c.scope == bindparam("s"), _oc.c.key == bindparam("k")).values(
    data=bindparam("d"))
_SET_VALUE = update(_lv).where(_lv.c.org_code == bindparam("o"), _lv.c.metric == bindparam("m")).values(
    value=bindparam("v"), observed_at=bindparam("t"), seq=bindparam("q"))


class LatestValues:
    """The newest value of each OPEL parameter of one organisation, in one write transaction:
    read in one query, offered values decided in memory, written in (at most) two statements.

    A submission of nine parameters was eighteen statements (a read and a write each) in the
    transaction every other write waits for; this is three."""

    def __init__(self, conn: Connection, org_code: str, keys: Iterable[str]) -> None:
        self.conn, self.org_code, self.keys = conn, org_code, frozenset(keys)
        pv = s.phoned_in_value
        found = conn.execute(select(_lv.c.metric, _lv.c.observed_at, pv.c.seq.is_not(None)).select_from(
            _lv.outerjoin(pv, pv.c.seq == _lv.c.seq)).where(
            _lv.c.org_code == org_code, _lv.c.metric.in_(sorted(self.keys)))).all() if self.keys else []
        self.stored: dict[str, datetime] = {m: t for m, t, _ in found}
        self._newest = dict(self.stored)
        self._phoned = {m for m, _, phoned in found if phoned}   # the kept value came from a call
        self._pending: dict[str, dict[str, Any]] = {}

    def offer(self, metric: str, value: float, observed_at: datetime, seq: int, phoned_in: bool = False) -> bool:
        """Keep ``value`` if it is the newest for an OPEL parameter; True if kept.

        ``phoned_in``: a figure phoned in (``sync.hub.phoned_in``) gives way to the provider's own
        data, so it replaces a strictly older value, or a phoned-in one at its time (a call recorded
        again to correct a mistyped figure); a provider value replaces one at its time."""
        if metric not in self.keys:
            return False
        current = self._newest.get(metric)
        same_time_ok = not phoned_in or metric in self._phoned
        if current is not None and not (observed_at > current or (observed_at == current and same_time_ok)):
            return False
        self._newest[metric] = observed_at
        (self._phoned.add if phoned_in else self._phoned.discard)(metric)
        self._pending[metric] = {"o": self.org_code, "m": metric, "v": value, "t": observed_at, "q": seq}
        return True

    def write(self) -> None:
        """Store what was kept (before the organisation is scored)."""
        updates = [row for m, row in self._pending.items() if m in self.stored]
        inserts = [{"org_code": r["o"], "metric": r["m"], "value": r["v"], "observed_at": r["t"], "seq": r["q"]}
                   for m, r in self._pending.items() if m not in self.stored]
        if updates:
            self.conn.execute(_SET_VALUE, updates)
        if inserts:
            self.conn.execute(insert(_lv), inserts)
        self.stored.update({m: r["t"] for m, r in self._pending.items()})
        self._pending.clear()


class HubOpel:
    def __init__(self, tables: Mapping[str, OpelTable], system: SystemTable) -> None:
        self.tables = dict(tables)
        self.system = system

    def pillar_of(self, sector: str | None) -> str | None:
        """The OPEL pillar an organisation of ``sector`` is scored in (None: not scored)."""
        return sector if sector in self.tables and sector in self.system.rules else None

    # --- inputs ---------------------------------------------------------------
    def values(self, conn: Connection, org_code: str, pillar: str | None) -> LatestValues:
        """The organisation's kept OPEL parameters, to offer new values to and then ``write``."""
        keys = self.tables[pillar].keys if pillar is not None else ()
        return LatestValues(conn, org_code, keys)

    def calculated(self, conn: Connection, org_code: str, pillar: str) -> OpelResult:
        values, _ = self._values(conn, org_code, self.tables[pillar])
        return score(self.tables[pillar], values)

    def calculated_at(self, conn: Connection, org_code: str, pillar: str, at: datetime,
                      own: Iterable[tuple[str, float, datetime, int]] = ()) -> OpelResult | opel_as_of.NotKnown:
        """The level calculated from the parameters as they stood at ``at`` (``opel_as_of``), or
        why that cannot be worked out."""
        table = self.tables[pillar]
        values = opel_as_of.parameters_at(conn, org_code, table.keys, at, own)
        return values if isinstance(values, opel_as_of.NotKnown) else score(table, values)

    def record_declaration(self, conn: Connection, org_code: str, pillar: str, level: int,
                           reason: str | None, assessed_at: datetime) -> bool:
        """Keep a declared level if it is the provider's newest declaration; True if kept."""
        key = (s.opel_declaration.c.org_code == org_code) & (s.opel_declaration.c.pillar == pillar)
        current = conn.execute(select(s.opel_declaration.c.assessed_at).where(key)).scalar()
        row = {"declared_level": level, "reason": reason, "assessed_at": assessed_at}
        if current is None:
            conn.execute(insert(s.opel_declaration).values(org_code=org_code, pillar=pillar, **row))
        elif assessed_at >= current:
            conn.execute(update(s.opel_declaration).where(key).values(**row))
        else:
            return False
        return True

    # --- outputs --------------------------------------------------------------
    def rescore(self, w: Writer, orgs: Iterable[tuple[str, str]]) -> None:
        """Score each ``(org_code, pillar)``, then roll up those pillars and the system."""
        pillars = []
        for org_code, pillar in orgs:
            self._emit(w, "provider", org_code, self._provider(w.conn, org_code, pillar), org_code)
            pillars.append(pillar)
        self.rollup(w, pillars)

    def rollup(self, w: Writer, pillars: Iterable[str], only_if_shown: bool = False) -> None:
        """Recompute pillar roll-ups and the system roll-up and put them on the feed.

        ``only_if_shown``: skip pillars that have never had a roll-up (an
        organisation added before any data arrived changes nothing visible).
        """
        done = False
        for pillar in dict.fromkeys(pillars):
            if pillar not in self.tables or (only_if_shown and self._current(w.conn, "pillar", pillar) is None):
                continue
            data = self._pillar(w.conn, pillar)
            if data is not None:
                self._emit(w, "pillar", pillar, data)
                done = True
        if done:
            self._emit(w, "system", "system", self._system(w.conn))

    def _emit(self, w: Writer, scope: str, key: str, data: dict[str, Any], org_code: str | None = None) -> None:
        data["scored_at"] = s.iso(w.now)
        if data["assessed_at"] is None:  # nothing measured yet (e.g. a roll-up of missing inputs)
            data["assessed_at"] = data["scored_at"]
        w.emit("opel_assessment", data, org_code)
        text = dumps(data)
        if w.conn.execute(_SET_CURRENT, {"s": scope, "k": key, "d": text}).rowcount == 0:
            w.conn.execute(insert(s.opel_current).values(scope=scope, key=key, data=text))

    @staticmethod
    def _current(conn: Connection, scope: str, key: str) -> dict[str, Any] | None:
        text = conn.execute(select(s.opel_current.c.data).where(
            s.opel_current.c.scope == scope, s.opel_current.c.key == key)).scalar()
        return None if text is None else json.loads(text)

    @staticmethod
    def _values(conn: Connection, org_code: str, table: OpelTable, phoned: dict[str, str] | None = None
                ) -> tuple[dict[str, float], dict[str, datetime]]:
        """Latest values and their times; ``phoned`` (if given) gets metric -> phoned_in record uuid."""
        lv, pv = s.latest_value, s.phoned_in_value
        rows = conn.execute(select(lv, pv.c.record_uuid).select_from(lv.outerjoin(pv, pv.c.seq == lv.c.seq)).where(
            lv.c.org_code == org_code, lv.c.metric.in_(table.keys))).all()
        if phoned is not None:
            phoned.update({r.metric: r.record_uuid for r in rows if r.record_uuid is not None})
        return {r.metric: r.value for r in rows}, {r.metric: r.observed_at for r in rows}

    def _provider(self, conn: Connection, org_code: str, pillar: str) -> dict[str, Any]:
        table = self.tables[pillar]
        phoned: dict[str, str] = {}
        values, times = self._values(conn, org_code, table, phoned)
        result = score(table, values)
        scored = {r.key: r for r in result.parameters}
        invalid = {i.key: i for i in result.invalid}
        params = []
        for param in table.parameters:
            entry: dict[str, Any] = {"key": param.key, "name": param.name, "unit": param.unit,
                                     "weight": param.weight, "observed_at": s.iso(times.get(param.key))}
            if param.key in scored:
                r = scored[param.key]
                entry.update(value=r.value, band=r.band, points=r.points, weighted_points=r.weighted_points,
                             problem=None)
            else:
                bad = invalid.get(param.key)
                entry.update(value=values.get(param.key), band=None, points=None, weighted_points=None,
                             problem=bad.reason if bad else "missing: no value received yet")
            if param.key in phoned:   # 1.5: only then, so a provider's own assessment is as before
                entry["phoned_in_uuid"] = phoned[param.key]
            params.append(entry)
        decl = conn.execute(select(s.opel_declaration).where(
            s.opel_declaration.c.org_code == org_code, s.opel_declaration.c.pillar == pillar)).first()
        if decl is not None and decl.declared_level != result.level and not (decl.reason or "").strip():
            # A declaration made without a reason agreed with the level calculated then;
            # once new figures move the calculation, it no longer stands as an override.
            decl = None
        return {
            "scope": "provider", "pillar": pillar, "org_code": org_code,
            "assessed_at": s.iso(max(times.values())) if times else None,
            "edition": table.edition, "verified": table.verified,
            "total": result.total, "partial_total": result.partial_total,
            "level": result.level, "complete": result.complete,
            "at_least_level": result.at_least_level, "at_most_level": result.at_most_level,
            "missing": list(result.missing), "parameters": params,
            "drivers": [r.key for r in result.drivers if r.weighted_points > 0][:3],
            "declared_level": decl.declared_level if decl else None,
            "override_reason": decl.reason if decl else None,
            "declared_at": s.iso(decl.assessed_at) if decl else None,
        }

    def _rolled(self, scope: str, pillar: str, inputs: list[RollupInput], assessed: list[str],
                roll) -> dict[str, Any]:
        error = None
        try:
            result: RollupResult | None = roll(inputs)
        except RollupError as exc:
            result, error = None, str(exc)
        rule = self.system.rule(pillar)
        verified = self.system.header.verified and all(
            t.verified for name, t in self.tables.items() if scope == "system" or name == pillar)
        return {
            "scope": scope, "pillar": pillar, "org_code": None,
            "assessed_at": max(assessed) if assessed else None,
            "edition": self.system.header.edition, "verified": verified, "method": rule.method,
            "total": result.score if result else None, "level": result.level if result else None,
            "complete": bool(result and result.complete),
            "at_least_level": result.at_least_level if result else None,
            "missing": list(result.missing) if result else [i.name for i in inputs],
            "inputs": [{"name": i.name, "total": i.score, "level": i.level, "size": i.size,
                        "at_least_level": i.at_least_level,
                        "weight": (result.weights.get(i.name) if result else None)} for i in inputs],
            "error": error,
        }

    def _pillar(self, conn: Connection, pillar: str) -> dict[str, Any] | None:
        ot, oc = s.organisation, s.opel_current
        orgs = conn.execute(   # each organisation with its current assessment: one query, not one each
            select(ot.c.ods_code, ot.c.size, oc.c.data)
            .select_from(ot.outerjoin(oc, (oc.c.scope == "provider") & (oc.c.key == ot.c.ods_code)))
            .where(ot.c.sector == pillar, ot.c.active.is_(True)).order_by(ot.c.ods_code)).all()
        if not orgs:
            return None
        inputs, assessed = [], []
        for org in orgs:
            cur = None if org.data is None else json.loads(org.data)
            if cur is None:
                inputs.append(RollupInput(org.ods_code, None, None, org.size))
                continue
            inputs.append(RollupInput(org.ods_code, cur["total"], cur["level"], org.size, cur["at_least_level"]))
            if cur["assessed_at"]:
                assessed.append(cur["assessed_at"])
        return self._rolled("pillar", pillar, inputs, assessed,
                            lambda ins: pillar_score(self.system, pillar, ins))

    def _system(self, conn: Connection) -> dict[str, Any]:
        """Every pillar with active organisations is an input; one never assessed is missing."""
        sectors = set(conn.execute(select(s.organisation.c.sector).where(
            s.organisation.c.active.is_(True)).distinct()).scalars())
        pillars = sorted(p for p in self.tables if p in sectors and p in self.system.rules)
        oc = s.opel_current
        current = dict(conn.execute(select(oc.c.key, oc.c.data).where(
            oc.c.scope == "pillar", oc.c.key.in_(pillars))).all()) if pillars else {}
        inputs, assessed = [], []
        for pillar in pillars:
            cur = json.loads(current[pillar]) if pillar in current else None
            if cur is None:
                inputs.append(RollupInput(pillar, None, None))
                continue
            inputs.append(RollupInput(pillar, cur["total"], cur["level"], None, cur["at_least_level"]))
            if cur["assessed_at"]:
                assessed.append(cur["assessed_at"])
        return self._rolled("system", "system", inputs, assessed,
                            lambda ins: system_score(self.system, ins))
