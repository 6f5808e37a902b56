"""Errors the hub turns into an HTTP status and a protocol ``ErrorBody``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sync.protocol import ErrorBody, FieldError


class ApiError(Exception):
    """Raised anywhere in a request; the app answers ``status`` with :attr:`body`.

    ``code`` is machine-readable ("validation", "unauthorized", "forbidden",
    "protocol_version", ...); ``message`` is a sentence for a person.
    """

    def __init__(self, status: int, code: str, message: str, fields: Iterable[FieldError] = (),
                 supported: Iterable[str] = (), headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = ErrorBody(code=code, message=message, fields=list(fields), supported=list(supported))
        self.headers = dict(headers or {})


def validation(message: str, fields: Iterable[FieldError] = ()) -> ApiError:
    return ApiError(422, "validation", message, fields)
