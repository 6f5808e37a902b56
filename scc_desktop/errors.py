"""Errors the user can act on."""

from __future__ import annotations


class UserError(Exception):
    """Printed as one sentence naming the thing and the fix, never a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
