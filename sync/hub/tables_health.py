"""The OPEL tables this hub process scores with, for ``/health`` (``Health.opel_tables``), so each
desktop can compare them with its own (sync.hub_tables, ui.tables_status).

Read once, when the process starts (the tables are loaded then and never change while it runs): ``/health``
answers with this tuple and asks the database nothing more for it.
"""

from __future__ import annotations

from sync import protocol as p
from sync.hub.opel import HubOpel

SYSTEM_SCOPE = "system"


def said(opel: HubOpel) -> list[p.HealthOpelTable]:
    """Each pillar's table, then the roll-up file (scope ``system``), as this process loaded them."""
    tables = [p.HealthOpelTable(scope=pillar, edition=table.edition, verified=table.verified)
              for pillar, table in sorted(opel.tables.items())]
    header = opel.system.header
    return tables + [p.HealthOpelTable(scope=SYSTEM_SCOPE, edition=header.edition, verified=header.verified)]
