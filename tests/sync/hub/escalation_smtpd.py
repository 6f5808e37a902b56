"""A real SMTP server for the escalation tests: aiosmtpd on loopback, STARTTLS with a certificate
made here, AUTH with a username and password, and the messages it accepted kept for the test.

``faults`` makes it answer the next DATA commands with an SMTP reply of the test's choosing
(``451 ...`` a transient refusal, ``554 ...`` a permanent one): a real server saying no, not a mock.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
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
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.faults:
                return self.faults.pop(0)
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          message_from_bytes(envelope.original_content, policy=policy.default),
                                          login, session.ssl is not None))
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
