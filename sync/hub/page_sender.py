"""The second escalation channel's wire: one HTTPS POST of a small JSON page to the deploying
organisation's paging or alerting gateway (which turns it into an SMS, a pager message or a call).

Authentication: an HMAC-SHA256 signature, not a bearer token.  The header
``X-SCC-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` proves the page came from
this hub and was not altered, and the secret never travels: a gateway's or a TLS-inspecting proxy's
request log holds a signature good for that one body (and, checked against ``t``, for minutes), where a
bearer token logged once could send any page to the on-call for ever.  ``Idempotency-Key`` is the same
for every attempt at one alert's page, so a gateway that got it twice (an answer lost on the way back)
can drop the copy.

TLS with certificate and host-name checks (``ca_file``: a private CA, as ``smtp.ca_file``), short
timeouts (the name's lookup, the connection and each read: ``timeout_seconds``; the whole attempt, every
address the name gives included, twice that).  What comes back:

- 2xx: delivered to the gateway;
- 408, 429, 5xx, no answer, refused, reset, timed out: transient, tried again while the alert is open;
- any other 4xx (a bad signature, a wrong URL), an untrusted certificate, an ``http://`` URL: permanent,
  that page not sent again (the set-up is wrong; the room is told to phone); the pager sends the alerts of a
  page about several again in smaller pages (:mod:`sync.hub.escalation_page`).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-SCC-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_ANSWER = 2000   # bytes of the gateway's answer kept in an error


@dataclass(frozen=True)
class PageSettings:
    url: str                         # https://... the gateway's endpoint
    secret: str = ""                 # the HMAC key (from a file or the environment, never the TOML file)
    ca_file: str | None = None       # a private CA that signed the gateway's certificate
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


class PageFailure(Exception):
    def __init__(self, reason: str, transient: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.status = status


def signature(secret: str, body: bytes, at: int) -> str:
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float | None = None, tolerance: float = 300) -> bool:
    """What a gateway does with the header (and the tests' gateway): the signature matches and ``t`` is
    within ``tolerance`` seconds of now."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        at = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - at) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, at), header)


def where(url: str) -> str:
    """The gateway as it may be shown or logged: ``host:port`` only. A gateway's URL often carries a token in
    its path or query (a webhook's), and /health, which says the gateway, needs no sign-in."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.hostname or '?'}:{port or 443}"


def lookup(host: str, port: int, seconds: float, resolve=None) -> list[tuple]:
    """The addresses of ``host`` (``socket.getaddrinfo``'s, TCP), waited for at most ``seconds``; else a transient
    :class:`PageFailure`. The lookup left running past that ends on its own thread (a daemon: it holds nothing
    the hub needs, and the resolver's own timeouts end it)."""
    resolve = resolve or socket.getaddrinfo
    done, out = threading.Event(), {}

    def work() -> None:
        try:
            out["found"] = resolve(host, port, 0, socket.SOCK_STREAM)
        except Exception as exc:  # noqa: BLE001 - said below
            out["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="page-lookup", daemon=True).start()
    if not done.wait(seconds):
        raise PageFailure(f"the paging gateway's name {host} was not looked up within {seconds:g} s "
                          "(the hub's resolver did not answer)", transient=True)
    if "error" in out:
        exc = out["error"]
        raise PageFailure(f"the paging gateway's name {host} could not be looked up ({type(exc).__name__}: {exc})",
                          transient=True)
    return out["found"]


def _connect(addresses: list[tuple], timeout: float, source=None, deadline: float | None = None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that takes it (as ``socket.create_connection`` does), each
    given ``timeout_seconds`` but never past ``deadline`` (``time.monotonic()``): three addresses that do not
    answer take the time left of the attempt's bound, not three timeouts."""
    last: OSError | None = None
    for family, kind, proto, _name, address in addresses:
        left = timeout if deadline is None else min(timeout, deadline - time.monotonic())
        if left <= 0:
            raise last or socket.timeout("no time left to connect")
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            if source:
                sock.bind(source)
            sock.connect(address)
            sock.settimeout(timeout)   # each read's own bound from here; the attempt's is the timer's
            return sock
        except OSError as exc:
            last = exc
            sock.close()
    raise last or OSError("no address to connect to")


def send(settings: PageSettings, page: dict, key: str) -> int:
    """POST ``page`` with idempotency key ``key``; the HTTP status on 2xx, else :class:`PageFailure`."""
    url = urlsplit(settings.url)
    if url.scheme != "https" or not url.hostname:
        raise PageFailure(f"the paging URL (to {where(settings.url)}) is not https://", transient=False)
    body = json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "scc-feed-hub",
               SIGNATURE_HEADER: signature(settings.secret, body, int(time.time())), IDEMPOTENCY_HEADER: key}
    where_ = where(settings.url)
    # The socket timeout bounds each read, not the whole: a gateway answering a byte at a time held an
    # attempt for as long as it liked (past the page's lease, when a second hub process may take it).
    # At the attempt's bound the socket is shut, which ends a read in progress.
    bound = 2 * settings.timeout_seconds
    began = time.monotonic()
    # The name's lookup too: the system's resolver has no timeout of ours (one that does not answer held the
    # attempt, and the pager's thread, for as long as it liked). It runs on a thread of its own, waited for at
    # most ``timeout_seconds``; the connection then goes to the addresses found, the certificate still checked
    # against the name.
    deadline = began + bound
    addresses = lookup(url.hostname, url.port or 443, settings.timeout_seconds)
    conn = http.client.HTTPSConnection(url.hostname, url.port or 443, timeout=settings.timeout_seconds,
                                       context=settings.tls_context())
    # The connection is cut at the bound whatever it is doing: each address's connect is given no more than
    # the time left, and from the moment one is made its descriptor is known here, so the timer shuts it in the
    # TLS handshake too (the plain socket is detached there: conn.sock is no use to shut) and in every read.
    # Until session 28 the timer shut conn.sock only if set, and each address had a whole timeout_seconds: a
    # connection made just after the bound ran on, bounded by each read's timeout alone.
    cut, lock, held = threading.Event(), threading.Lock(), {"fd": None, "over": False}

    def _made(_address, timeout, source=None) -> socket.socket:
        sock = _connect(addresses, timeout, source, deadline)
        with lock:
            if cut.is_set():
                sock.close()
                raise socket.timeout("the attempt's bound passed as the connection was made")
            held["fd"] = sock.fileno()
        return sock

    conn._create_connection = _made

    def _cut() -> None:
        with lock:   # never after the connection is closed below: its descriptor may be another's by then
            cut.set()
            if held["over"] or held["fd"] is None:
                return
            plain = socket.socket(fileno=held["fd"])
            try:
                plain.shutdown(socket.SHUT_RDWR)   # the plain socket's: the TLS state is left alone
            except OSError:
                pass
            finally:
                plain.detach()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), _cut)   # what is left of the bound
    timer.daemon = True
    timer.start()
    try:
        conn.request("POST", (url.path or "/") + (f"?{url.query}" if url.query else ""), body=body, headers=headers)
        answer = conn.getresponse()
        text = answer.read(MAX_ANSWER).decode("utf-8", "replace").strip()
    except Exception as exc:
        if cut.is_set() or time.monotonic() >= deadline:
            if held["fd"] is None:
                raise PageFailure(f"the paging gateway {where_} could not be reached within {bound:g} s "
                                  f"({len(addresses)} address(es) found)", transient=True) from None
            raise PageFailure(f"the paging gateway {where_} did not answer in full within {bound:g} s",
                              transient=True) from None
        if isinstance(exc, ssl.SSLCertVerificationError):
            raise PageFailure(f"the paging gateway's certificate is not trusted ({exc.verify_message}); set "
                              "paging.ca_file to the CA that signed it", transient=False) from None
        if isinstance(exc, (socket.timeout, TimeoutError)):
            raise PageFailure(f"the paging gateway {where_} did not answer within {settings.timeout_seconds:g} s",
                              transient=True) from None
        if isinstance(exc, (OSError, http.client.HTTPException)):
            raise PageFailure(f"the paging gateway {where_} could not be reached ({type(exc).__name__}: {exc})",
                              transient=True) from None
        raise
    finally:
        timer.cancel()
        with lock:
            held["over"] = True
        conn.close()
    if 200 <= answer.status < 300:
        return answer.status
    said = f"the paging gateway answered {answer.status} {answer.reason}" + (f": {text[:300]}" if text else "")
    transient = answer.status in (408, 429) or answer.status >= 500
    raise PageFailure(said, transient=transient, status=answer.status)
