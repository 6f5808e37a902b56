"""A real paging gateway for the paging tests: an HTTPS server on loopback (ThreadingHTTPServer over TLS)
whose certificate is signed by a throwaway CA made here, checking each page's HMAC signature as a
gateway does, keeping the pages it took, and answering the statuses the test queues (``answer(500, 200)``),
each after ``slow`` seconds when set (a gateway slow to answer).

``stop()`` then ``start()`` puts it down and back on the same port: the hub meets a refused connection,
then a gateway that answers."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.hub import page_sender
from tests.support.postgres import free_port

SECRET = "a-page-signing-key-for-tests-only-0123456789"


def _pem(folder: Path, stem: str, cert, key) -> tuple[Path, Path]:
    c, k = folder / f"{stem}.crt", folder / f"{stem}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return c, k


def make_ca_and_cert(folder: Path, stem: str = "gateway") -> tuple[Path, Path, Path]:
    """A throwaway CA (its certificate, ``<stem>-ca.crt``) and a server certificate for 127.0.0.1 it signed
    (not itself a CA): the hub must trust the CA, named by ``paging.ca_file``, to take the gateway's."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"scc-test-{stem}-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_path = folder / f"{stem}-ca.crt"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path, key_path = _pem(folder, stem, cert, key)
    return ca_path, cert_path, key_path


@dataclass
class Page:
    body: dict
    key: str
    signed: bool     # the HMAC signature checked out
    status: int      # what the gateway answered


class Gateway:
    def __init__(self, folder: Path, secret: str = SECRET, stem: str = "gateway") -> None:
        self.ca, self.cert, self.key_file = make_ca_and_cert(folder, stem)
        self.secret = secret
        self.port = free_port()
        self.pages: list[Page] = []
        self.queued: list[int] = []
        self.max_body: int | None = None
        self.refused_alerts: set[str] = set()
        self.slow = 0.0   # seconds each answer waits: a gateway slow to answer
        self.lock = threading.Lock()
        self.server = None
        self.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1/pages"

    def answer(self, *statuses: int) -> None:
        with self.lock:
            self.queued.extend(statuses)

    def judge(self, raw: bytes, signed: bool) -> int:
        """What the gateway answers a page when no status is queued: 401 unsigned; 413 past ``max_body`` bytes
        (a gateway's body limit); 422 for a page naming one of ``refused_alerts`` (an alert it will not take)."""
        if not signed:
            return 401
        if self.max_body is not None and len(raw) > self.max_body:
            return 413
        if self.refused_alerts & {a.get("alert_id") for a in json.loads(raw).get("alerts", [])}:
            return 422
        return 202

    def taken(self) -> list[Page]:
        with self.lock:
            return [p for p in self.pages if 200 <= p.status < 300]

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):   # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = page_sender.verify(gateway.secret, self.headers.get(page_sender.SIGNATURE_HEADER, ""), raw)
                with gateway.lock:
                    status = gateway.queued.pop(0) if gateway.queued else gateway.judge(raw, signed)
                    gateway.pages.append(Page(json.loads(raw), self.headers.get(page_sender.IDEMPOTENCY_HEADER, ""),
                                              signed, status))
                text = b'{"ok":true}' if status < 300 else b'{"error":"test gateway says no"}'
                time.sleep(gateway.slow)
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class Trickle:
    """A gateway that takes the TLS connection and the page, then answers one byte every ``gap`` seconds
    (a stalled proxy, a gateway streaming): each read comes well within a socket timeout, the whole never."""

    def __init__(self, folder: Path, gap: float = 0.3) -> None:
        self.ca, cert, key = make_ca_and_cert(folder, "trickle")
        self.gap = gap
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1/pages"

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                raw, _ = self.listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(raw,), daemon=True).start()

    def _answer(self, raw) -> None:
        try:
            with self.context.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(5)
                tls.recv(65536)
                for byte in b"HTTP/1.1 202 Accepted\r\nContent-Length: 11\r\n\r\n" + b'{"ok":true}':
                    if self.stopped.wait(self.gap):
                        return
                    tls.sendall(bytes([byte]))
        except OSError:
            pass

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


def add_paging(path, gateway: Gateway, **extra) -> None:
    """A ``[paging]`` section for ``gateway`` appended to the escalation file at ``path`` (its settings, the
    room's phone and name, a 3 s timeout, and ``extra`` as ``name = value`` lines)."""
    lines = ["", "[paging]", f'url = "{gateway.url}"', f'ca_file = "{gateway.ca}"', 'scc_phone = "0300 123 4567"',
             'room_name = "Test ICB SCC"', "timeout_seconds = 3", *[f"{k} = {v}" for k, v in extra.items()]]
    with open(path, "a") as f:
        f.write("\n".join(lines) + "\n")


def failed_send(settings_: page_sender.PageSettings, then=lambda: None) -> tuple[float, page_sender.PageFailure]:
    """A page sent where it must fail: how long the attempt took and its failure; ``then`` runs however it ended
    (stopping a slow gateway, releasing a resolver held on purpose)."""
    began = time.monotonic()
    try:
        page_sender.send(settings_, {"kind": "scc_escalation_page"}, "scc-page-test")
    except page_sender.PageFailure as failure:
        return time.monotonic() - began, failure
    finally:
        then()
    raise AssertionError("the page went where it must have failed")
