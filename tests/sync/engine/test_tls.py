"""TLS: certificate verification is on by default; a room's own CA can be trusted explicitly."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.client import HubClient
from sync.connectivity import State
from sync.engine import SyncEngine
from sync.hub import auth
from sync.hub.server import TLS, start_in_thread
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica


def _self_signed(folder):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scc-hub-test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "hub.crt", folder / "hub.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_hub(tmp_path):
    cert, key = _self_signed(tmp_path)
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
