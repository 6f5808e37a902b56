"""A real SMTP server for the escalation tests: aiosmtpd on loopback, STARTTLS with a certificate
made here, AUTH with a username and password, and the messages it accepted kept for the test.

``faults`` makes it answer the next DATA commands with an SMTP reply of the test's choosing
(``451 ...`` a transient refusal, ``554 ...`` a permanent one): a real server saying no, not a mock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.postgres import free_port

USER = "scc-alerts@example.nhs.uk"
PASSWORD = "Corr3ct-h0rse-battery-staple"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (its own CA), and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scc-test-smtp")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None
    tls: bool


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)   # address -> reply ("550 5.1.1 user unknown")
    confirm_after: list[float] = field(default_factory=list)    # keep the next messages, confirm this late
    stall_rcpt: list[float] = field(default_factory=list)       # answer the next RCPTs this late (nothing kept)
    stalled: threading.Event = field(default_factory=threading.Event)   # set when a RCPT is being stalled
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            stall = self.stall_rcpt.pop(0) if self.stall_rcpt else 0.0
        if stall:   # a sender killed meanwhile is mid-send: the server has nothing of its message
            self.stalled.set()
            await asyncio.sleep(stall)
        with self.lock:
            reply = self.refuse_rcpt.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.faults:
                return self.faults.pop(0)
            late = self.confirm_after.pop(0) if self.confirm_after else 0.0
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          message_from_bytes(envelope.original_content, policy=policy.default),
                                          login, session.ssl is not None))
        if late:   # a relay under load: it has the message, and says so only after the client gave up
            await asyncio.sleep(late)
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class SmtpServer:
    """Running on ``127.0.0.1:port`` until :meth:`stop`; ``cert`` is the PEM a client must trust."""

    def __init__(self, folder: Path, *, starttls: bool = True) -> None:
        self.cert, key = make_certificate(folder)
        self.handler = _Handler()
        self.port = free_port()
        params = {"authenticator": _authenticator, "auth_required": starttls, "auth_require_tls": starttls}
        if starttls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, key)
            params.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10,
                                     **params)
        self.controller.start()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def fail_next(self, *replies: str) -> None:
        with self.handler.lock:
            self.handler.faults.extend(replies)

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def stop(self) -> None:
        self.controller.stop()


class StallingServer:
    """A server that greets a line at a time ("220-" continuations every ``every`` seconds) and never
    finishes: each read is answered within any timeout, so only a bound on the whole attempt ends it."""

    def __init__(self, every: float = 0.3) -> None:
        self.every = every
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._stall, args=(conn,), daemon=True).start()

    def _stall(self, conn) -> None:
        with conn:
            while not self.stopped.is_set():
                try:
                    conn.sendall(b"220-still thinking\r\n")
                except OSError:
                    return
                time.sleep(self.every)

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()
        self.thread.join(5)
