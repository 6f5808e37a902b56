"""A hub whose database is full answers /health 503 ``degraded``, and that answer still says whether it
escalates: a desktop reads it (review r1, session 26). Before, the desktop's client dropped every 5xx body,
so a desktop started while its hub was degraded never learned that escalation was off (its status bar
said nothing), one that had heard 'on' kept saying it through the fault, and it asked again at every cycle.
Real parts: a hub on loopback filled to SQLite's page limit (as test_storage_faults), a real encrypted
replica and the sync engine."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from models.replica.orm.types import utcnow
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub.server import start_in_thread
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import seed
from tests.support.replica import fresh_replica
from tests.sync.hub.test_storage_faults import ROLE_TOKEN, Client, assert_degraded, fill_until_refused

pytestmark = pytest.mark.timeout(180)


def test_a_degraded_hub_still_tells_a_desktop_that_escalation_is_off(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = seed(db_url)
    handle = start_in_thread(db_url)   # no escalation settings
    limit = {"pages": None}

    def cap(dbapi_conn, _record, _proxy):
        dbapi_conn.execute(f"PRAGMA max_page_count = {limit['pages'] or 1073741823}")

    event.listen(handle.hub.db.engine, "checkout", cap)
    client = Client(handle.url, tokens[ROLE_TOKEN])
    store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    engine = SyncEngine(store, HubClient(handle.url, tokens["room_lead"]))
    try:
        assert client.submit().status_code == 200
        with handle.hub.db.engine.connect() as conn:
            limit["pages"] = conn.exec_driver_sql("PRAGMA page_count").scalar() + 64
        fill_until_refused(client)
        assert_degraded(client.health(), "full")
        result = engine.run_once()   # the feed reads fine; /health answers 503
        assert result.error is None, result.error
        said = result.escalation
        assert said is not None and said.told and said.off, said
        assert "--escalation" in (said.reason or "")
        asked = said.learned_at
        assert engine.run_once().escalation.learned_at == asked   # an answer: asked again in a minute, not now
    finally:
        engine.client.close()
        store.close()
        client.close()
        handle.stop()
