"""What the hub's two mailers (alert escalation, SPoC messages) share: the loop that checks what is
due until the hub stops, and the error text they keep for each attempt."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from sync import protocol as p
from sync.hub import smtp_sender

log = logging.getLogger("sync.hub")


async def check_every(hub, check: Callable, period: float, what: str) -> None:
    """``check(None, stopping)`` in the thread pool every ``period`` seconds until the hub stops; a
    failing check is logged and tried again (/health reports the database)."""
    while not hub.stopping:
        try:
            await run_in_threadpool(check, None, lambda: hub.stopping)
        except Exception:  # noqa: BLE001 - keep checking
            log.exception("%s check failed; trying again in %.0f s", what, period)
        await asyncio.sleep(period)


def error_text(text: str | None) -> str | None:
    """An attempt's error as kept: at most the protocol's reason length."""
    if text is None or len(text) <= p.MAX_REASON_CHARS:
        return text
    return text[:p.MAX_REASON_CHARS - 1] + "…"


def try_send(send: Callable, smtp, msg, to_addrs: list[str] | None = None) -> smtp_sender.SendFailure | None:
    """Send ``msg`` (to ``to_addrs`` when given, never to whatever else its headers name); None when it
    went, else the failure (anything unforeseen counts as transient and is tried again)."""
    try:
        if to_addrs is None:
            send(smtp, msg)
        else:
            send(smtp, msg, to_addrs)
    except smtp_sender.SendFailure as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - recorded as a transient failure and tried again
        return smtp_sender.SendFailure(f"{type(exc).__name__}: {exc}", transient=True)
    return None
