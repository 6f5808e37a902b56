""""Test connection": can this desktop read the feed of this hub with this token?  One sentence if not.

Used by ``scc-desktop connect``, the first-run dialog and the Settings dialog, so
the three say the same thing: the address, then the reason (refused, TLS, the
token, no answer).
"""

from __future__ import annotations

import re
from pathlib import Path

from sync.address import hub_url_problem

TIMEOUT_S = 5.0
# OpenSSL's words for a certificate whose issuer this computer does not trust (not an expired one or
# another host's, where a CA file would not help).
_UNTRUSTED = re.compile(r"self.signed certificate|unable to get (local )?issuer certificate")


def connection_problem(url: str, token: str, ca_bundle: str | None = None) -> str | None:
    """None when the hub at ``url`` answers a feed request with this token; else why not, naming ``url``."""
    url = (url or "").strip()
    problem = hub_url_problem(url) if url else "required"
    if problem:
        return f"hub address {url or '(empty)'}: {problem}"
    if ca_bundle and not Path(ca_bundle).is_file():
        return f"CA certificates: no file at {ca_bundle}"
    if not (token or "").strip():
        return "access token: required; your hub administrator issues it"
    from sync.client import HubClient, HubRefused, HubUnreachable

    client = HubClient(url, token.strip(), verify=ca_bundle or True, read_timeout=TIMEOUT_S)
    try:
        client.feed(0, 1)
    except HubRefused as exc:
        if exc.token_refused:
            return f"the hub at {url} refused the access token (HTTP {exc.status}: {exc})"
        return f"the hub at {url} refused the request (HTTP {exc.status}: {exc})"
    except HubUnreachable as exc:
        from sync.hub_health import upgrading

        doing = upgrading(exc)
        if doing:   # it answers: 503 'upgrading' (its start's one-off steps), which says nothing of the token yet
            return (f"the hub at {url} answers but is upgrading its database ({doing}); the access token is checked "
                    "once that is done: try again then")
        return f"cannot reach the hub at {url}: {exc}{_ca_hint(str(exc), ca_bundle)}"
    finally:
        client.close()
    return None


def _ca_hint(reason: str, ca_bundle: str | None) -> str:
    """What to do about a hub certificate nobody here vouches for: the CA file, given or not."""
    if not reason.startswith("TLS failed") or not _UNTRUSTED.search(reason):
        return ""
    if ca_bundle:
        return f"; the CA certificates file {ca_bundle} did not sign the hub's certificate: ask your hub administrator"
    return ("; the hub's certificate is a private one this computer does not trust: give its CA certificates "
            "file (from your hub administrator)")
