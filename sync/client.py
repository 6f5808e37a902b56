"""HTTP client for the feed hub (requests): typed calls, faults turned into two kinds.

``HubUnreachable``: worth retrying later (refused, timed out, 5xx, a reply cut
short or not the protocol).  ``HubRefused``: the hub understood and said no
(4xx with an ``ErrorBody``), so retrying the same request will not help.
TLS certificates are verified unless a CA bundle is given or the caller
explicitly turns verification off.  ``close`` may be called from any thread:
it ends a request in flight at once (a long-poll included) as ``HubUnreachable``
and refuses every later one, so a closing window never waits for the hub.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import requests
from pydantic import ValidationError

from sync.interruptible import InterruptibleAdapter
from sync.protocol import (
    PROTOCOL_VERSION,
    VERSION_HEADER,
    ErrorBody,
    FeedBatch,
    Health,
    RecordBatch,
    RecordHeads,
    RecordReceipt,
    SnapshotInfo,
    TransfersSeen,
)

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 15.0
CLOSED = "the sync was stopped (the client was closed)"


class HubUnreachable(Exception):
    # A 5xx's JSON body when it had one (a degraded /health still says what the hub knows); else None.
    body: dict | None = None


class HubRefused(Exception):
    def __init__(self, status: int, error: ErrorBody | None, text: str) -> None:
        self.status = status
        self.error = error
        super().__init__(error.message if error else f"HTTP {status}: {text[:200]}")

    @property
    def token_refused(self) -> bool:
        """The hub did not accept the token (unknown, revoked, or not allowed to do this)."""
        return self.status in (401, 403)


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def short_reason(exc: Exception) -> str:
    """A connection fault in a few words, not requests' ``HTTPConnectionPool(...): Max retries`` text;
    the exception's type name stays at the end, for logs."""
    kind = type(exc).__name__
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        found = re.search(r"certificate verify failed: ([^(')]+)", text)
        reason = f"TLS failed: {found.group(1).strip()}" if found else "TLS failed"
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        reason = "no answer (connecting timed out)"
    elif isinstance(exc, requests.exceptions.ReadTimeout):
        reason = "the hub did not reply in time"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        reason = "the reply was cut short"
    elif isinstance(exc, requests.exceptions.InvalidURL):
        reason = "the hub address is not a valid URL"
    else:
        found = _ERRNO_TEXT.search(text)
        reason = found.group(1).strip().lower() if found else ("the connection failed" if len(text) > 120
                                                                 else text or "the connection failed")
    return f"{reason} ({kind})"


@dataclass
class Backoff:
    """Exponential backoff with jitter: ``base * 2**attempt`` capped, times 0.5–1.0."""

    base: float = 0.5
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.base * (2 ** min(attempt, 30))) * self.rng.uniform(0.5, 1.0)


class HubClient:
    def __init__(self, base_url: str, token: str, *, verify: bool | str = True,
                 session: requests.Session | None = None, read_timeout: float = READ_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.read_timeout = read_timeout
        self.session = session or requests.Session()
        self._adapter = InterruptibleAdapter()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, self._adapter)
        self.session.headers.update({"Authorization": f"Bearer {token}",
                                     VERSION_HEADER: PROTOCOL_VERSION,
                                     "User-Agent": "scc-desktop-sync"})
        self.verify = verify
        self.last_fault: Exception | None = None  # the last HubUnreachable or HubRefused, for callers

    def _call(self, method: str, path: str, *, read_timeout: float | None = None, **kwargs):
        try:
            body = self._request(method, path, read_timeout, **kwargs)
        except (HubUnreachable, HubRefused) as exc:
            self.last_fault = exc
            raise
        self.last_fault = None
        return body

    @property
    def closed(self) -> bool:
        return self._adapter.cut_off

    def close(self) -> None:
        """End any request in flight now and refuse later ones (from any thread; idempotent)."""
        # Not session.close(): closing urllib3's pools under a request in flight is not thread-safe,
        # and the shut-down sockets are closed by the thread that was using them.
        self._adapter.cut()

    def _request(self, method: str, path: str, read_timeout: float | None, **kwargs):
        read_timeout = self.read_timeout if read_timeout is None else read_timeout
        if self.closed:
            raise HubUnreachable(CLOSED)
        try:
            resp = self.session.request(method, self.base_url + path, verify=self.verify,
                                        timeout=(CONNECT_TIMEOUT, read_timeout), **kwargs)
        except requests.RequestException as exc:  # refused, timeout, reset, TLS, truncated body
            if self.closed:   # cut by close(), not a fault of the hub
                raise HubUnreachable(CLOSED) from exc
            raise HubUnreachable(short_reason(exc)) from exc
        except OSError as exc:  # e.g. the CA certificates file is missing: say so, keep the loop alive
            raise HubUnreachable(f"cannot reach the hub: {exc}") from exc
        if resp.status_code >= 500:
            fault = HubUnreachable(f"hub error HTTP {resp.status_code}{_hub_says(resp)}")
            fault.body = _small_json(resp)
            raise fault
        try:
            body = resp.json()
        except (ValueError, RecursionError):   # a reply nested past Python's parser is not JSON to us
            raise HubUnreachable(f"hub reply to {path} was not complete JSON "
                                 f"(HTTP {resp.status_code}, {len(resp.content)} bytes)") from None
        if resp.status_code >= 400:
            try:
                error = ErrorBody.model_validate(body.get("error", body))
            except (ValidationError, AttributeError):
                error = None
            raise HubRefused(resp.status_code, error, resp.text)
        return body

    def _parse(self, model, body, what: str):
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise HubUnreachable(f"hub {what} reply does not follow the protocol: "
                                 f"{exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from None

    def health(self) -> Health:
        return self._parse(Health, self._call("GET", "/health", read_timeout=5), "health")

    def feed(self, after: int, limit: int, wait: float = 0, *, columnar: bool = False,
             mark: int | None = None) -> FeedBatch:
        """One batch after ``after``. ``columnar`` asks for observations as columns
        (``FeedBatch.observations``, protocol 1.1); a 1.0 hub ignores the request
        and answers with items only, which the reader applies just the same.
        ``mark``: the ``next_after_mark`` read with ``after`` (session 30); the hub answers 409
        ``feed_diverged`` when it holds another item there (a hub before it ignores it)."""
        params = {"after": after, "limit": limit, "wait": wait}
        if columnar:
            params["format"] = "columnar"
        if mark is not None:
            params["mark"] = mark
        body = self._call("GET", "/v1/feed", params=params, read_timeout=self.read_timeout + wait)
        return self._parse(FeedBatch, body, "feed")

    def snapshot_info(self) -> SnapshotInfo:
        """1.7: the hub's newest snapshot (``HubRefused`` 404 ``no_snapshot`` when it has none)."""
        return self._parse(SnapshotInfo, self._call("GET", "/v1/snapshot"), "snapshot")

    def download_snapshot(self, position: int, out, chunk: int = 1 << 20, progress=None,
                          sha256: str | None = None) -> tuple[int, str]:
        """Stream the snapshot file at ``position`` into the binary file ``out``; returns
        ``(bytes, sha256 hex)`` of what arrived (the caller checks both against the description).
        Hashed as it arrives (about 1.3 s a GB here; a worker thread hashing beside the reads gained
        nothing on two cores shared with the hub).  ``sha256``: the file described (session 29: a hub may
        keep two at one position; an older hub ignores it and sends its newest)."""
        import hashlib

        if self.closed:
            raise HubUnreachable(CLOSED)
        digest, size = hashlib.sha256(), 0
        try:
            params = {"position": position, **({"sha256": sha256} if sha256 else {})}
            with self.session.get(self.base_url + "/v1/snapshot/file", params=params,
                                  verify=self.verify, stream=True,
                                  timeout=(CONNECT_TIMEOUT, self.read_timeout)) as resp:
                if resp.status_code >= 500:
                    raise HubUnreachable(f"hub error HTTP {resp.status_code}{_hub_says(resp)}")
                if resp.status_code >= 400:
                    try:
                        error = ErrorBody.model_validate(resp.json().get("error", resp.json()))
                    except (ValueError, ValidationError, AttributeError):
                        error = None
                    raise HubRefused(resp.status_code, error, resp.text)
                for block in resp.iter_content(chunk):
                    out.write(block)
                    digest.update(block)
                    size += len(block)
                    if progress:
                        progress(size)
        except requests.RequestException as exc:
            if self.closed:
                raise HubUnreachable(CLOSED) from exc
            raise HubUnreachable(short_reason(exc)) from exc
        return size, digest.hexdigest()

    def record_heads(self, read_timeout: float = 10) -> RecordHeads:
        """Session 27: each decision chain's head as the hub holds it (``HubRefused`` 404 from an older hub)."""
        return self._parse(RecordHeads, self._call("GET", "/v1/records/heads", read_timeout=read_timeout),
                           "record heads")

    def transfer_seen(self, positions: list[int], read_timeout: float = 10) -> TransfersSeen:
        """Session 28: the ``seen`` of the transfer events at these feed positions (at most
        ``MAX_SEEN_POSITIONS``; ``HubRefused`` 404 from an older hub)."""
        body = self._call("GET", "/v1/records/transfer-seen", params={"positions": ",".join(map(str, positions))},
                          read_timeout=read_timeout)
        return self._parse(TransfersSeen, body, "transfer seen")

    def push(self, batch: RecordBatch) -> RecordReceipt:
        body = self._call("POST", "/v1/records", data=batch.model_dump_json(),
                          headers={"Content-Type": "application/json"})
        return self._parse(RecordReceipt, body, "records")


def _small_json(resp: requests.Response) -> dict | None:
    """A 5xx reply's JSON object, when it is one of at most 64 kB (a proxy's HTML page is not)."""
    if len(resp.content) > 65536:
        return None
    try:
        body = resp.json()
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _hub_says(resp: requests.Response, limit: int = 300) -> str:
    """The reason a hub gave with a 5xx (protocol 1.3: an error's message, or /health's reason), as
    ": reason"; nothing when there is none or it cannot be read (a proxy's HTML page, say)."""
    if len(resp.content) > 65536:
        return ""
    try:
        body = resp.json()
    except (ValueError, RecursionError):
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    said = (error.get("message") if isinstance(error, dict) else None) or body.get("message") or body.get("reason")
    return f": {' '.join(said.split())[:limit]}" if isinstance(said, str) and said.strip() else ""
