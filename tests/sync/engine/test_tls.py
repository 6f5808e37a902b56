"""TLS: certificate verification is on by default; a room's own CA can be trusted explicitly."""

from __future__ import annotations

import pytest

from sync.client import HubClient
from sync.connectivity import State
from sync.engine import SyncEngine
from sync.hub import auth
from sync.hub.server import TLS, start_in_thread
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.support.tls_cert import self_signed



@pytest.fixture
def tls_hub(tmp_path):
    cert, key = self_signed(tmp_path)
    handle = start_in_thread(f"sqlite:///{tmp_path / 'hub.db'}", tls=TLS(str(cert), str(key)))
    token = auth.create_token(handle.hub.db, "lead", "room_lead")[1]
    yield handle, token, cert
    handle.stop()


def test_unknown_certificate_is_refused_by_default(tls_hub, store):
    handle, token, _ = tls_hub
    assert handle.url.startswith("https://")
    result = SyncEngine(store, HubClient(handle.url, token)).run_once()
    assert result.connectivity.state == State.OFFLINE
    assert "SSL" in result.error or "certificate" in result.error


def test_trusting_the_rooms_ca_bundle_connects(tls_hub, store):
    handle, token, cert = tls_hub
    client = HubClient(handle.url, token, verify=str(cert))
    try:
        result = SyncEngine(store, client).run_once()
    finally:
        # Its kept-alive TLS connection would hold the hub's shutdown for its 5 s grace period.
        client.session.close()
    assert result.error is None and result.connectivity.state != State.OFFLINE


@pytest.fixture
def store(tmp_path):
    s = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    yield s
    s.close()
