"""Sending one email through the room's SMTP server: STARTTLS always, then AUTH, then the message.

Failures come back as :class:`SendFailure` saying whether trying again later can help
(``transient``: the server was unreachable, timed out, hung up, or answered 4xx) or not (5xx:
the password was refused, the address does not exist, the certificate is not trusted).

The password lives only in :class:`SmtpSettings` (kept out of its ``repr``) and is handed to
``smtplib`` and nowhere else; no reason produced here quotes what was sent for AUTH.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
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

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


class SendFailure(Exception):
    def __init__(self, reason: str, transient: bool, partial: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.partial = partial   # the server took the message for some recipients: sending again repeats it


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Deliver ``message``; raises :class:`SendFailure` naming what went wrong."""
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise SendFailure(f"{settings.host}:{settings.port} does not offer STARTTLS; the hub will "
                                  "not send credentials or alerts in clear", transient=False)
            smtp.starttls(context=settings.tls_context())
            smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message)
            if refused:
                raise SendFailure("the server refused " + ", ".join(
                    f"{addr} ({code} {_text(why)})" for addr, (code, why) in sorted(refused.items())),
                    transient=all(400 <= code < 500 for code, _ in refused.values()), partial=True)
    except SendFailure:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SendFailure(f"the server refused the username or password ({exc.smtp_code} "
                          f"{_text(exc.smtp_error)})", transient=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SendFailure("the server refused every recipient: " + ", ".join(
            f"{addr} ({code} {_text(why)})" for addr, (code, why) in sorted(exc.recipients.items())),
            transient=all(400 <= c < 500 for c in codes)) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailure(f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}",
                          transient=400 <= exc.smtp_code < 500) from None
    except ssl.SSLCertVerificationError as exc:
        raise SendFailure(f"the server's certificate is not trusted ({exc.verify_message}); set ca_file "
                          "to the CA that signed it", transient=False) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, TimeoutError) as exc:
        raise SendFailure(f"no answer from {settings.host}:{settings.port} ({exc or type(exc).__name__})",
                          transient=True) from None
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, name not found, TLS torn down
        raise SendFailure(f"cannot reach {settings.host}:{settings.port}: {exc}", transient=True) from None


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
