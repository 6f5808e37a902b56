"""Sending one email through the room's SMTP server: STARTTLS always, then AUTH, then the message.

Failures come back as :class:`SendFailure` saying whether trying again later can help
(``transient``: the server was unreachable, timed out, hung up, or answered 4xx) or not (5xx:
the password was refused, the address does not exist, the certificate is not trusted).

Every attempt is bounded as a whole (``attempt_seconds``): ``timeout_seconds`` bounds each read,
so a server that answers a line at a time, just inside it, could otherwise hold the hub's mailer
for ever.  A failure after the message itself was sent (the server went quiet before confirming)
is ``maybe_taken``: the server may have taken it, and sending again may deliver it twice.

The password lives only in :class:`SmtpSettings` (kept out of its ``repr``) and is handed to
``smtplib`` and nowhere else; no reason produced here quotes what was sent for AUTH.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

DEFAULT_PORT = 587
DEFAULT_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str                     # the From address
    port: int = DEFAULT_PORT
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None      # a private CA to trust for the server's certificate
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def attempt_seconds(self) -> float:
        """The most one attempt may take, connection to confirmation."""
        return 3 * self.timeout_seconds

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


class SendFailure(Exception):
    def __init__(self, reason: str, transient: bool, partial: bool = False, maybe_taken: bool = False,
                 recipient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.partial = partial   # the server took the message for some recipients: sending again repeats it
        self.maybe_taken = maybe_taken   # it went quiet after the message: it may have taken it for all
        self.recipient = recipient   # about the address (refused at RCPT), not the server or the set-up


class _Smtp(smtplib.SMTP):
    """smtplib's client, knowing whether the message itself has gone (after the server's 354)."""

    in_data = accepted_data = payload_sent = False

    def data(self, msg):
        self.in_data = True
        return super().data(msg)

    def getreply(self):
        code, text = super().getreply()
        if self.in_data and code == 354:
            self.accepted_data = True
        return code, text

    def send(self, s):
        if self.accepted_data:
            self.payload_sent = True
        return super().send(s)


class _Deadline:
    """Shuts the connection when an attempt has taken ``seconds``: the next read fails at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.expired, self.smtp = seconds, False, None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self.smtp, "sock", None)
        if sock is not None:
            try:
                # The plain socket's shutdown, even on a TLS socket: SSLSocket.shutdown drops its TLS
                # state first, and a write racing it would go out in clear (a review found).
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def send(settings: SmtpSettings, message: EmailMessage, to_addrs: list[str] | None = None) -> None:
    """Deliver ``message`` (to ``to_addrs``, else its To header's); raises :class:`SendFailure`
    naming what went wrong."""
    smtp = None
    with _Deadline(settings.attempt_seconds) as deadline:
        try:
            smtp = _Smtp(timeout=settings.timeout_seconds)
            deadline.smtp = smtp   # before connecting: a server can stall its greeting a line at a time
            smtp._host = settings.host   # what STARTTLS checks the certificate against (set by __init__'s connect)
            smtp.connect(settings.host, settings.port)
            _exchange(smtp, settings, message, to_addrs)
        except SendFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - each kind named in _failure
            failure = _failure(exc, settings)
            if deadline.expired:
                failure = SendFailure(f"no complete answer from {settings.host}:{settings.port} within "
                                      f"{deadline.seconds:g} s", transient=True)
            # Quiet after the message (no reply at all), not a refusal: a 451 after DATA is a clear "no".
            quiet = not isinstance(exc, smtplib.SMTPResponseException)
            if smtp is not None and smtp.payload_sent and failure.transient and quiet:
                failure = SendFailure(failure.reason + "; the message had been sent, so the server may have "
                                      "taken it", transient=True, maybe_taken=True)
            raise failure from None
        finally:
            if smtp is not None:
                try:
                    smtp.close()
                except OSError:
                    pass


def _exchange(smtp: _Smtp, settings: SmtpSettings, message: EmailMessage, to_addrs: list[str] | None) -> None:
    smtp.ehlo()
    if not smtp.has_extn("starttls"):
        raise SendFailure(f"{settings.host}:{settings.port} does not offer STARTTLS; the hub will "
                          "not send credentials or alerts in clear", transient=False)
    smtp.starttls(context=settings.tls_context())
    smtp.ehlo()
    if settings.username:
        smtp.login(settings.username, settings.password or "")
    refused = smtp.send_message(message, to_addrs=to_addrs)
    if refused:
        raise SendFailure("the server refused " + ", ".join(
            f"{addr} ({code} {_text(why)})" for addr, (code, why) in sorted(refused.items())),
            transient=all(400 <= code < 500 for code, _ in refused.values()), partial=True, recipient=True)


def _failure(exc: BaseException, settings: SmtpSettings) -> SendFailure:
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return SendFailure(f"the server refused the username or password ({exc.smtp_code} "
                           f"{_text(exc.smtp_error)})", transient=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return SendFailure("the server refused every recipient: " + ", ".join(
            f"{addr} ({code} {_text(why)})" for addr, (code, why) in sorted(exc.recipients.items())),
            transient=all(400 <= c < 500 for c in codes), recipient=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        return SendFailure(f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                           transient=400 <= exc.smtp_code < 500)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendFailure(f"the server's certificate is not trusted ({exc.verify_message}); set ca_file "
                           "to the CA that signed it", transient=False)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, TimeoutError)):
        return SendFailure(f"no answer from {where} ({exc or type(exc).__name__})", transient=True)
    if isinstance(exc, (OSError, smtplib.SMTPException)):   # refused, unreachable, name not found, TLS torn down
        return SendFailure(f"cannot reach {where}: {exc}", transient=True)
    return SendFailure(f"{type(exc).__name__}: {exc}", transient=True)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
