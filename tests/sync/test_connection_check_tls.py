"""Testing the connection to a hub with a private certificate (``sync.connection_check``, behind ``connect``,
the first-run dialog and Settings): without its CA certificates the sentence says what to give, not only
OpenSSL's words. A real hub over TLS on loopback with a throwaway certificate."""

from __future__ import annotations

import pytest

from sync.connection_check import connection_problem
from sync.hub import auth
from sync.hub.server import TLS, start_in_thread
from tests.support.tls_cert import self_signed


@pytest.fixture
def tls_hub(tmp_path):
    cert, key = self_signed(tmp_path)
    handle = start_in_thread(f"sqlite:///{tmp_path / 'hub.db'}", tls=TLS(str(cert), str(key)))
    token = auth.create_token(handle.hub.db, "lead", "room_lead")[1]
    yield handle.url, token, cert
    handle.stop()


def test_a_private_certificate_without_its_ca_file_says_to_give_it(tls_hub):
    """A first-morning walkthrough (session 22): the set-up dialog said only "TLS failed: unable to get local
    issuer certificate (SSLError). Check the address and the token", and the token was not the problem."""
    url, token, cert = tls_hub
    problem = connection_problem(url, token)
    assert problem is not None and url in problem and "TLS failed" in problem
    assert "CA certificates file" in problem and "hub administrator" in problem, problem
    assert connection_problem(url, token, str(cert)) is None      # given the file: connected


def test_other_failures_get_no_ca_hint(tls_hub):
    url, token, cert = tls_hub
    refused = connection_problem(url, "scc_not_a_token", str(cert))
    assert "refused the access token" in refused and "CA certificates" not in refused
    closed = connection_problem("https://127.0.0.1:9", token)
    assert "CA certificates" not in closed, closed


def test_a_ca_file_that_did_not_sign_the_hubs_certificate_is_named(tls_hub, tmp_path):
    url, token, _cert = tls_hub
    other = tmp_path / "other"
    other.mkdir()
    wrong, _key = self_signed(other)
    problem = connection_problem(url, token, str(wrong))
    assert str(wrong) in problem and "did not sign the hub's certificate" in problem, problem
