"""One module per top-level command; each exposes ``register(subparsers)``.

Adding a command touches its own module and the ``COMMANDS`` list only.
"""

from __future__ import annotations

COMMANDS = [
    "scc_desktop.commands.app",
    "scc_desktop.commands.demo",
    "scc_desktop.commands.opel",
    "scc_desktop.commands.db",
    "scc_desktop.commands.simulate",
    "scc_desktop.commands.sync",
    "scc_desktop.commands.connect",
    "scc_desktop.commands.hub",
    "scc_desktop.commands.records",
    "scc_desktop.commands.contacts",
    "scc_desktop.commands.alerts",
    "scc_desktop.commands.quality",
    "scc_desktop.commands.report",
    "scc_desktop.commands.forecast",
    "scc_desktop.commands.message",
]
