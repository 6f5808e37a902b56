"""Desktops (real encrypted replicas) syncing with a real hub on loopback."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import SUBMITTER_ORG
from tests.support.replica import fresh_replica


@pytest.fixture
def make_desktop(tmp_path):
    stores = []

    def make(hub, name="desk", role="room_lead", **engine_kwargs):
        store = fresh_replica(tmp_path / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        stores.append(store)
        return SyncEngine(store, HubClient(hub.url, hub.tokens[role]), **engine_kwargs)

    yield make
    for s in stores:
        s.close()


def submit(hub, items, org=SUBMITTER_ORG, role="provider_submitter", submission_id=None):
    body = {"submission_id": submission_id or str(uuid.uuid4()), "org_code": org,
            "submitted_at": datetime.now(timezone.utc).isoformat(), "items": items}
    resp = hub.request("POST", "/v1/submissions", role=role, json=body)
    assert resp.status_code in (200, 422), resp.text
    return resp


def observation(metric, value, minutes_ago=0):
    t = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"type": "observation", "metric": metric, "observed_at": t.isoformat(), "value": value}
