"""Post simulated submissions to a feed hub: ``POST {hub}/v1/submissions``.

Each submission is serialised once and the same bytes (so the same
``submission_id``) are re-sent on every retry; the hub treats a repeated id
as a duplicate, so a retry after a lost reply cannot double anything.

Retried, with exponential backoff (``backoff * 2**attempt``, capped, with
jitter from a seeded generator): connection refused or reset, timeouts, HTTP
429 and 5xx. Not retried: any other 4xx (the hub understood and refused; the
``ErrorBody`` message is logged). Every receipt is logged with its accepted
and rejected item counts.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from dataclasses import dataclass

import requests
from pydantic import ValidationError

from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER, ErrorBody, SubmissionReceipt

log = logging.getLogger("sync.simulator")

SUBMISSIONS_PATH = "/v1/submissions"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class SendResult:
    """What happened to one submission."""

    submission_id: str
    status: str                       # "accepted" | "refused" | "failed"
    attempts: int
    receipt: SubmissionReceipt | None = None
    http_status: int | None = None
    error: str | None = None


@dataclass
class SendStats:
    submissions: int = 0
    accepted_items: int = 0
    rejected_items: int = 0
    duplicates: int = 0
    refused: int = 0                  # whole submissions the hub refused (4xx)
    failed: int = 0                   # gave up after retries
    retries: int = 0
    deliberate_items: int = 0         # items the simulator malformed on purpose

    def add(self, result: SendResult) -> None:
        self.submissions += 1
        self.retries += max(result.attempts - 1, 0)
        if result.receipt is not None:
            self.accepted_items += result.receipt.accepted
            self.rejected_items += len(result.receipt.rejected)
            self.duplicates += int(result.receipt.duplicate)
        elif result.status == "refused":
            self.refused += 1
        else:
            self.failed += 1

    def summary(self) -> str:
        if self.rejected_items and self.rejected_items <= self.deliberate_items:
            why = " (all malformed on purpose)"
        elif self.deliberate_items:
            why = f" ({self.deliberate_items} malformed on purpose)"
        else:
            why = ""
        return (f"{self.submissions} submissions: {self.accepted_items} items accepted, "
                f"{self.rejected_items} rejected{why}, {self.duplicates} duplicate submissions, "
                f"{self.refused} refused, {self.failed} failed, {self.retries} retries")


class Sender:
    """Posts submission payloads to one hub with one token.

    ``token`` is used for every organisation without its own entry in
    ``org_tokens`` (a hub ``admin`` token may submit for any organisation; a
    ``provider_submitter`` token only for its own). ``timeout`` is
    ``(connect, read)`` seconds per attempt; ``retries`` is the
    number of further attempts after the first; ``stop`` (a
    ``threading.Event``) cuts a backoff wait short so Ctrl-C stops promptly.
    """

    def __init__(self, hub_url: str, token: str | None, *, org_tokens: dict[str, str] | None = None,
                 timeout: tuple[float, float] = (3.05, 10.0),
                 retries: int = 5, backoff: float = 0.5, max_backoff: float = 30.0,
                 stop: threading.Event | None = None, session: requests.Session | None = None,
                 jitter_seed: int | None = None) -> None:
        self.url = hub_url.rstrip("/") + SUBMISSIONS_PATH
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.stop = stop or threading.Event()
        self.session = session or requests.Session()
        self.session.headers.update({VERSION_HEADER: PROTOCOL_VERSION, "Content-Type": "application/json",
                                     "User-Agent": "scc-desktop-simulator"})
        self.token = token
        self.org_tokens = dict(org_tokens or {})
        self._rng = random.Random(jitter_seed)
        self.stats = SendStats()

    def close(self) -> None:
        self.session.close()

    def _delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** attempt) * self._rng.uniform(0.5, 1.0)

    def send(self, payload: dict, *, deliberate: int = 0) -> SendResult:
        """Post one submission, retrying transient failures; never raises for network trouble.

        ``deliberate``: how many of its items the simulator malformed on purpose.  Their rejection
        is what the simulation is for, so it is logged at INFO as a deliberate fault; rejections
        beyond that number are a real problem and warned about.
        """
        body = json.dumps(payload, separators=(",", ":")).encode()
        sid = str(payload.get("submission_id"))
        token = self.org_tokens.get(payload.get("org_code"), self.token)
        if not token:
            outcome = SendResult(sid, "refused", 0, error=f"no token for organisation {payload.get('org_code')}")
            log.error("submission %s not sent: %s", sid, outcome.error)
            self.stats.add(outcome)
            return outcome
        headers = {"Authorization": f"Bearer {token}"}
        attempt = 0
        while True:
            attempt += 1
            outcome, error = self._attempt(sid, body, headers, attempt, deliberate,
                                           len(payload.get("items") or ()))
            if outcome is not None:
                break
            if attempt > self.retries or self.stop.is_set():
                outcome = SendResult(sid, "failed", attempt, error=error)
                log.error("submission %s failed after %d attempts: %s", sid, attempt, error)
                break
            delay = self._delay(attempt - 1)
            log.warning("submission %s: %s; retrying in %.1f s (attempt %d of %d)", sid, error, delay,
                        attempt + 1, self.retries + 1)
            if self.stop.wait(delay):
                outcome = SendResult(sid, "failed", attempt, error=f"stopped while retrying: {error}")
                break
        self.stats.add(outcome)
        self.stats.deliberate_items += deliberate
        return outcome

    def _attempt(self, sid: str, body: bytes, headers: dict[str, str], attempt: int, deliberate: int = 0,
                 items: int = 0) -> tuple[SendResult | None, str]:
        """``(final result, "")``, or ``(None, reason)`` when the attempt should be retried."""
        try:
            resp = self.session.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:  # refused, reset, timeout, truncated reply
            from sync.client import short_reason   # a few words, not urllib3's paragraph

            return None, short_reason(exc)
        if resp.status_code in RETRY_STATUSES:
            return None, f"HTTP {resp.status_code}"
        if resp.status_code >= 400:
            message = _error_message(resp)
            if deliberate and deliberate >= items and resp.status_code != 401:
                log.info("deliberate fault: submission %s refused as a whole (HTTP %d), every item malformed "
                         "on purpose: %s", sid, resp.status_code, message)
            else:
                log.error("submission %s refused by the hub (HTTP %d): %s", sid, resp.status_code, message)
            return SendResult(sid, "refused", attempt, http_status=resp.status_code, error=message), ""
        try:
            receipt = SubmissionReceipt.model_validate(resp.json())
        except (ValueError, ValidationError) as exc:
            return None, f"reply was not a submission receipt ({type(exc).__name__})"
        rejected = len(receipt.rejected)
        if rejected and rejected <= deliberate:
            log.info("deliberate fault: submission %s: %d accepted, %d rejected (malformed on purpose)%s",
                     sid, receipt.accepted, rejected, " (duplicate)" if receipt.duplicate else "")
        else:
            log.log(logging.WARNING if rejected else logging.INFO, "submission %s: %d accepted, %d rejected%s",
                    sid, receipt.accepted, rejected, " (duplicate)" if receipt.duplicate else "")
        for r in receipt.rejected[:3]:
            log.debug("  item %d rejected: %s", r.index, "; ".join(f"{e.field}: {e.reason}" for e in r.errors))
        return SendResult(sid, "accepted", attempt, receipt=receipt, http_status=resp.status_code), ""


def _error_message(resp: requests.Response) -> str:
    try:
        body = resp.json()
        error = ErrorBody.model_validate(body.get("error", body) if isinstance(body, dict) else body)
        fields = "; ".join(f"{f.field}: {f.reason}" for f in error.fields[:5])
        return error.message + (f" ({fields})" if fields else "")
    except (ValueError, ValidationError, AttributeError):
        return resp.text[:200] or f"HTTP {resp.status_code}"

