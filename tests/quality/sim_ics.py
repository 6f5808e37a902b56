"""A 40-provider simulated ICS (22 acute, 8 community, 6 mental health, 3 NHS 111, 1 ambulance), the mix
of the desktop benchmark, on the bundled simulator: acute trusts borrow the real trusts' figures."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from sync.simulator import Simulator, load_config
from sync.simulator.config import Organisation

REAL_ACUTE = ("RX1", "RK5", "RTG", "RFS", "RWD")
MIX = (("acute", "RA", 22), ("community", "RC", 8), ("mental_health", "RM", 6), ("nhs111", "R1", 3))


def simulator(seed: int = 5) -> Simulator:
    orgs = [Organisation("RX9", "ambulance")]
    for kind, prefix, count in MIX:
        for n in range(1, count + 1):
            shape = REAL_ACUTE[n % len(REAL_ACUTE)] if kind == "acute" else ""
            orgs.append(Organisation(f"{prefix}{n:02d}", kind, f"{kind} {n}", shape))
    cfg = dataclasses.replace(load_config().without_faults(), organisations=tuple(orgs))
    return Simulator(cfg, seed)


def by_kind(sim: Simulator) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for o in sim.config.organisations:
        out[o.kind].append(o.code)
    return dict(out)
