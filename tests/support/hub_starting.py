"""A hub process watched from the moment it listens, not from its first 200 (a start that answers 503
'upgrading' while it takes a one-off step on its database: sync/hub/schema_start.py)."""

from __future__ import annotations

import time

from tests.support.hub import HubProcess

LISTEN_TIMEOUT_S = 30


class Starting(HubProcess):
    """``start()`` returns once the process listens; ``listening_at`` is when (``time.monotonic()``)."""

    listening_at: float = 0.0

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + LISTEN_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._listens():
                self.listening_at = time.monotonic()
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"hub did not listen within {LISTEN_TIMEOUT_S} s:\n{self.log()}")
