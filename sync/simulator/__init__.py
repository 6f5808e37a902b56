"""Feed simulator: a seeded, simulated integrated care system submitting to a hub.

Shaped by real published NHS England figures bundled in ``resources/data/``
(see ``PROVENANCE.md`` there and ``docs/simulator.md``). Public API::

    from sync.simulator import Simulator, load_config, generate, backfill, run, Sender

    sim = Simulator(load_config(), seed=7)           # or load_config("my-ics.toml")
    subs = sim.submissions(start, end)               # SimSubmission: .payload is a protocol Submission dict
    backfill(sim, sink, start, end)                  # history, fast
    run(sim, sink, start=..., tick=..., speed=60, ticks=10)   # live ticks
    Sender(hub_url, token).send(sub.payload)         # POST with retries, same submission_id

Never imports Qt; needs the network only in ``Sender``.
"""

from sync.simulator.config import ConfigError, SimConfig, load_config
from sync.simulator.faults import ItemFault
from sync.simulator.generator import SimSubmission, Simulator, generate, merge
from sync.simulator.runner import RunReport, backfill, run
from sync.simulator.sender import Sender, SendResult, SendStats

__all__ = ["ConfigError", "SimConfig", "load_config", "ItemFault", "SimSubmission", "Simulator", "generate", "merge",
           "RunReport", "backfill", "run", "Sender", "SendResult", "SendStats"]
