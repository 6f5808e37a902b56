"""Simulator configuration: the simulated ICS and the modelling assumptions.

The default is the bundled ``resources/data/simulator.toml`` (documented
there and in ``docs/simulator.md``). :func:`load_config` reads it, then
overlays a room's own file section by section: a top-level table given in the
override replaces that table's keys (nested tables key by key), and a list
(``[[organisations]]``, ``[[acute.metrics]]``) replaces the whole list.
Problems are collected and raised together, each naming the file and field.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import resources

KINDS = ("acute", "ambulance", "community", "mental_health", "nhs111")
OPEL_KINDS = ("acute", "community", "mental_health", "nhs111")  # kinds that declare OPEL
FAULT_KINDS = ("out_of_range", "unknown_metric", "bad_timestamp", "wrong_type")
PROFILES = ("crowding", "nhs111", "flat")


class ConfigError(ValueError):
    """Every problem found in a simulator configuration, one per line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("simulator configuration is not valid:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Organisation:
    code: str
    kind: str
    name: str = ""           # filled from the bundled data for acute and ambulance when empty
    shape_from: str = ""     # the real trust / service whose figures shape it; "" = own code


@dataclass(frozen=True)
class MetricModel:
    """``value = base * crowding_factor**crowding * exp(pressure*z + noise*n)``, clamped."""

    metric: str
    base: float | str        # a number, or "data" where the real figures give the base
    crowding: float = 0.0
    pressure: float = 0.0
    noise: float = 0.0
    integer: bool = False


@dataclass(frozen=True)
class Timing:
    tick_minutes: float
    handover_bucket_minutes: int
    critcon_cadence_minutes: int
    ambulance_status_cadence_minutes: int
    response_times_period_minutes: int
    declaration_cadence_minutes: int
    submit_delay_seconds: tuple[float, float]
    observation_cadence_minutes: dict[str, int]


@dataclass(frozen=True)
class Replay:
    winter: str
    start_week: int
    timezone: str


@dataclass(frozen=True)
class Faults:
    late_rate: float
    late_minutes: tuple[float, float]
    missing_rate: float
    malformed_rate: float
    malformed_kinds: tuple[str, ...]


@dataclass(frozen=True)
class Rhythm:
    arrivals_by_hour: tuple[float, ...]
    crowding_by_hour: tuple[float, ...]
    bed_occupancy_offset_by_hour: tuple[float, ...]
    nhs111_demand_by_hour: tuple[float, ...]
    nhs111_demand_by_weekday: tuple[float, ...]


@dataclass(frozen=True)
class HandoverModel:
    arrivals_scale: float
    travel_minutes: tuple[float, float]
    turnaround_minutes: tuple[float, float]
    cancel_rate: float
    min_wait_minutes: float
    max_wait_minutes: float
    wait_noise: float
    sigma_range: tuple[float, float]
    mean_window_minutes: float


@dataclass(frozen=True)
class AcuteModel:
    nctr_per_los21: float
    four_hour_months: int
    bed_noise_points: float
    escalation_noise_points: float
    noise_knot_minutes: float
    metrics: tuple[MetricModel, ...]


@dataclass(frozen=True)
class PillarModel:
    crowding_profile: str
    crowding_scale: float
    noise_knot_minutes: float
    metrics: tuple[MetricModel, ...]


@dataclass(frozen=True)
class AmbulanceModel:
    response_crowding: float
    response_pressure: float
    response_noise: float
    noise_knot_minutes: float
    reap_c2_mean_minutes: tuple[float, ...]
    reap_block_minutes: int
    csp_c2_mean_minutes: tuple[float, ...]


@dataclass(frozen=True)
class CritconModel:
    occupancy_thresholds: tuple[float, ...]
    noise_beds: float
    noise_knot_minutes: float


@dataclass(frozen=True)
class Declaration:
    override_rate: float


@dataclass(frozen=True)
class Ics:
    name: str


@dataclass(frozen=True)
class SimConfig:
    ics: Ics
    organisations: tuple[Organisation, ...]
    timing: Timing
    replay: Replay
    faults: Faults
    rhythm: Rhythm
    handover: HandoverModel
    acute: AcuteModel
    community: PillarModel
    mental_health: PillarModel
    nhs111: PillarModel
    ambulance: AmbulanceModel
    critcon: CritconModel
    declaration: Declaration

    def by_kind(self, kind: str) -> list[Organisation]:
        return [o for o in self.organisations if o.kind == kind]

    def without_faults(self) -> SimConfig:
        """The same configuration with every fault rate set to 0."""
        return dataclasses.replace(self, faults=dataclasses.replace(
            self.faults, late_rate=0.0, missing_rate=0.0, malformed_rate=0.0))

    def with_fault_rates(self, *, late: float | None = None, missing: float | None = None,
                         malformed: float | None = None) -> SimConfig:
        f = self.faults
        return dataclasses.replace(self, faults=dataclasses.replace(
            f, late_rate=f.late_rate if late is None else late,
            missing_rate=f.missing_rate if missing is None else missing,
            malformed_rate=f.malformed_rate if malformed is None else malformed))


DEFAULT_PATH = resources.path("data", "simulator.toml")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML ({exc})")
    return {}


def load_config(path: Path | str | None = None) -> SimConfig:
    """The bundled default, overlaid with ``path`` when given; raises :class:`ConfigError`."""
    problems: list[str] = []
    data = _read(DEFAULT_PATH, problems)
    where = str(DEFAULT_PATH)
    if path is not None:
        data = _merge(data, _read(Path(path), problems))
        where = f"{path} (over the default)"
    if problems:
        raise ConfigError(problems)
    return parse_config(data, where)


def parse_config(data: dict[str, Any], where: str = "config") -> SimConfig:
    problems: list[str] = []
    cfg = _build(SimConfig, data, "", problems)
    if cfg is not None:
        _check(cfg, problems)
    if problems:
        raise ConfigError([f"{where}: {p}" for p in problems])
    return cfg


_NUMBER = (int, float)


def _convert(kind: Any, value: Any, name: str, problems: list[str]) -> Any:
    origin = typing.get_origin(kind)
    if dataclasses.is_dataclass(kind):
        return _build(kind, value, name + ".", problems)
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, _NUMBER):
            problems.append(f"{name}: expected a number, got {value!r}")
            return None
        return float(value)
    if kind in (int, str, bool):
        if type(value) is not kind:
            problems.append(f"{name}: expected {kind.__name__}, got {value!r}")
            return None
        return value
    if origin is tuple:
        args = typing.get_args(kind)
        if not isinstance(value, list):
            problems.append(f"{name}: expected a list, got {value!r}")
            return None
        if len(args) == 2 and args[1] is Ellipsis:
            items = [_convert(args[0], v, f"{name}[{i}]", problems) for i, v in enumerate(value)]
        else:
            if len(value) != len(args):
                problems.append(f"{name}: expected {len(args)} values, got {len(value)}")
                return None
            items = [_convert(a, v, f"{name}[{i}]", problems) for i, (a, v) in enumerate(zip(args, value))]
        return tuple(items)
    if origin is dict:
        _, value_kind = typing.get_args(kind)
        if not isinstance(value, dict):
            problems.append(f"{name}: expected a table, got {value!r}")
            return None
        return {k: _convert(value_kind, v, f"{name}.{k}", problems) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):  # float | str
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            problems.append(f"{name}: expected a number or \"data\", got {value!r}")
            return None
        return float(value) if isinstance(value, _NUMBER) else value
    raise TypeError(f"unsupported config type {kind!r}")  # a programming error, not bad input


def _build(cls: type, data: Any, prefix: str, problems: list[str]) -> Any:
    where = prefix.rstrip(".") or "top level"
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a table, got {data!r}")
        return None
    before = len(problems)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for extra in sorted(set(data) - set(fields)):
        problems.append(f"{prefix}{extra}: unknown field (allowed: {', '.join(fields)})")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING:
                problems.append(f"{prefix}{name}: missing")
            continue
        kind = hints[name]
        if name in ("organisations", "metrics"):
            item = Organisation if name == "organisations" else MetricModel
            raw = data[name]
            if not isinstance(raw, list):
                problems.append(f"{prefix}{name}: expected a list of tables")
                continue
            values[name] = tuple(_build(item, r, f"{prefix}{name}[{i}].", problems)
                                 for i, r in enumerate(raw))
            continue
        values[name] = _convert(kind, data[name], prefix + name, problems)
    if len(problems) > before:
        return None
    return cls(**values)


def _check(cfg: SimConfig, problems: list[str]) -> None:
    codes: set[str] = set()
    for org in cfg.organisations:
        if org.kind not in KINDS:
            problems.append(f"organisations {org.code}: kind '{org.kind}' is not one of {', '.join(KINDS)}")
        if not 3 <= len(org.code) <= 12:
            problems.append(f"organisations {org.code!r}: an ODS code has 3 to 12 characters")
        if org.code in codes:
            problems.append(f"organisations {org.code}: listed twice")
        codes.add(org.code)
        if org.kind in ("community", "mental_health", "nhs111") and not org.name:
            problems.append(f"organisations {org.code}: give a name (only acute and ambulance names "
                            "come from the bundled data)")
    if not cfg.by_kind("acute"):
        problems.append("organisations: at least one acute trust is needed (its figures drive the pressure)")
    if len(cfg.by_kind("ambulance")) != 1:
        problems.append("organisations: exactly one ambulance service is needed")
    for name in ("arrivals_by_hour", "crowding_by_hour", "bed_occupancy_offset_by_hour",
                 "nhs111_demand_by_hour"):
        values = getattr(cfg.rhythm, name)
        if len(values) != 24:
            problems.append(f"rhythm.{name}: expected 24 hourly values, got {len(values)}")
    if len(cfg.rhythm.nhs111_demand_by_weekday) != 7:
        problems.append("rhythm.nhs111_demand_by_weekday: expected 7 values (Monday to Sunday)")
    for name in ("arrivals_by_hour", "crowding_by_hour", "nhs111_demand_by_hour", "nhs111_demand_by_weekday"):
        if any(v <= 0 for v in getattr(cfg.rhythm, name)):
            problems.append(f"rhythm.{name}: every value must be above 0")
    f = cfg.faults
    for name in ("late_rate", "missing_rate", "malformed_rate"):
        if not 0.0 <= getattr(f, name) <= 1.0:
            problems.append(f"faults.{name}: a probability from 0 to 1")
    for kind in f.malformed_kinds:
        if kind not in FAULT_KINDS:
            problems.append(f"faults.malformed_kinds: '{kind}' is not one of {', '.join(FAULT_KINDS)}")
    if f.malformed_rate > 0 and not f.malformed_kinds:
        problems.append("faults.malformed_kinds: name at least one kind when malformed_rate is above 0")
    t = cfg.timing
    for kind in OPEL_KINDS:
        if kind not in t.observation_cadence_minutes:
            problems.append(f"timing.observation_cadence_minutes.{kind}: missing")
    cadences = [t.handover_bucket_minutes, t.critcon_cadence_minutes, t.ambulance_status_cadence_minutes,
                t.response_times_period_minutes, t.declaration_cadence_minutes,
                cfg.ambulance.reap_block_minutes, *t.observation_cadence_minutes.values()]
    if any(c <= 0 or 1440 % c for c in cadences):
        problems.append("timing: every cadence must be a whole number of minutes that divides a day (1440)")
    if t.tick_minutes <= 0:
        problems.append("timing.tick_minutes: must be above 0")
    for pillar in ("community", "mental_health", "nhs111"):
        if getattr(cfg, pillar).crowding_profile not in PROFILES:
            problems.append(f"{pillar}.crowding_profile: one of {', '.join(PROFILES)}")
    for pillar in ("acute", "community", "mental_health", "nhs111"):
        for m in getattr(cfg, pillar).metrics:
            if isinstance(m.base, str) and not (
                    m.base == "data" and pillar == "acute" and m.metric == "ed_four_hour_performance_pct"):
                problems.append(f"{pillar}.metrics {m.metric}: base \"data\" is only available for "
                                "acute ed_four_hour_performance_pct; give a number")
