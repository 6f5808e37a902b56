"""The escalation email goes at its time on a hub database the figures check cannot read (a table it
reads gone: an old or damaged hub database), on SQLite and PostgreSQL; /m/'s marks likewise never fail
the page.  A real fault, not a stand-in: the table is dropped from the hub's own database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from sync.hub import figures_doubt
from sync.hub.escalation_room import open_alerts_for_escalation
from tests.sync.hub.test_escalation import escalations, make_hub, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_doubt import RAISED, due, no_beds, report, twelve_hours

pytestmark = pytest.mark.timeout(120)


def test_a_table_the_check_reads_gone_never_stops_the_email(make_hub, smtpd):  # noqa: F811
    table = "feed_observation"
    hub = make_hub(settings(smtpd))
    rota(hub)
    twelve_hours(hub, "RTEST1")
    report(hub, "RTEST1", RAISED, 20, 190)
    [uid] = no_beds(hub).values()
    alerts = [a for a in open_alerts_for_escalation(hub.db) if a.id == uid]
    with hub.db.write() as w:
        w.conn.execute(text(f"DROP TABLE {table}"))
    with pytest.raises(Exception):
        figures_doubt.doubted(hub.db, alerts, due(hub))   # the fault is real
    assert hub.escalation.check(now=due(hub)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    assert "could not check these figures for data-quality problems" in mail.message.get_content()
    [attempt] = json.loads(escalations(hub)[uid]["attempt_log"])
    assert attempt["error"] is None and table in attempt["doubt_unchecked"]
