"""The paging attempt's bound (docs/escalation.md, "TLS"): the whole attempt, the name's lookup and every address
it gives included, ends within twice timeout_seconds. Real sockets on loopback: a listener whose queue is full
(the kernel drops the SYN, so a connect to it hangs, as to a gateway's address that is down behind a firewall)
and a real TLS gateway answering a byte at a time. The one mock: the resolver's answer, three addresses for the
gateway's name (a name with three cannot be had on loopback without editing the machine's hosts file; the name
is the gateway's certificate's, 127.0.0.1, so TLS is checked as ever)."""

from __future__ import annotations

import socket

import pytest

from sync.hub.page_sender import PageSettings
from tests.sync.hub.page_gateway import SECRET, Trickle, failed_send



@pytest.fixture
def silent_address():
    """A loopback address and port whose connects hang: a listener with a backlog of one, already full."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    filler = socket.create_connection(listener.getsockname(), timeout=2)
    yield listener.getsockname()
    filler.close()
    listener.close()


def test_two_addresses_that_do_not_answer_then_a_slow_gateway_end_within_the_bound(
        monkeypatch, tmp_path, silent_address):
    """Before: each address had a whole timeout_seconds (1 s each here) and the bound's timer, fired while the
    second was still connecting, found no connection to cut; the third address, a gateway answering a byte every
    0.3 s, then held the attempt 18.9 s in all and the page went, far past the lease the bound
    keeps an attempt in (a second hub process may take the page by then)."""
    slow = Trickle(tmp_path, gap=0.3)
    real = socket.getaddrinfo

    def three(host, *args, **kwargs):
        if host == "127.0.0.1" and args and args[0] == slow.port:
            tcp = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "")
            return [(*tcp, silent_address), (*tcp, silent_address), (*tcp, ("127.0.0.1", slow.port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", three)
    settings_ = PageSettings(slow.url, SECRET, str(slow.ca), timeout_seconds=1)
    took, failure = failed_send(settings_, slow.stop)
    assert took < 2.5, took   # the bound, 2 s, and the timer's slack
    assert failure.transient
    assert "could not be reached within 2 s (3 address(es) found)" in failure.reason

