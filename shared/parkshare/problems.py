"""Problem details (RFC 9457) and the one mapping from database errors to them.

The SQL side of the vocabulary lives in ``sql/repeatable/errors.sql``; this module parses
that file at import, so a code added there is known here without a second list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from parkshare.paths import sql_dir

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    status: int
    title: str


_SQL_ROW = re.compile(r"\('(PS[0-9A-Z]{3})',\s*'([a-z_]+)',\s*(\d{3}),\s*'((?:[^']|'')*)'\)")
_CONSTRAINT_ROW = re.compile(r"\('([a-z0-9_]+)',\s*'([a-z_]+)'\)")

# Codes raised by Python itself (HTTP, tokens, infrastructure), not by a procedure.
_PYTHON_CODES = {
    "invalid_credentials": ErrorCode("invalid_credentials", 401, "Invalid credentials"),
    "invalid_json": ErrorCode("invalid_json", 400, "Body is not valid JSON"),
    "invalid_state": ErrorCode("invalid_state", 400, "Sign-in state does not match"),
    "rate_limited": ErrorCode("rate_limited", 429, "Too many attempts"),
    "weak_password": ErrorCode("weak_password", 422, "Password too easy to guess"),
    "not_found": ErrorCode("not_found", 404, "Not found"),
    "method_not_allowed": ErrorCode("method_not_allowed", 405, "Method not allowed"),
    "payload_too_large": ErrorCode("payload_too_large", 413, "Request body too large"),
    "unsupported_media_type": ErrorCode("unsupported_media_type", 415, "Unsupported media type"),
    "busy": ErrorCode("busy", 503, "Busy, try again"),
    "unavailable": ErrorCode("unavailable", 503, "Service temporarily unavailable"),
    "internal": ErrorCode("internal", 500, "Internal error"),
}


def _load() -> tuple[dict[str, ErrorCode], dict[str, ErrorCode], dict[str, str]]:
    text = (sql_dir() / "repeatable" / "errors.sql").read_text(encoding="utf-8")
    by_state: dict[str, ErrorCode] = {}
    by_code: dict[str, ErrorCode] = dict(_PYTHON_CODES)
    for state, code, status, title in _SQL_ROW.findall(text):
        by_state[state] = by_code[code] = ErrorCode(code, int(status), title.replace("''", "'"))
    constraints = {name: code for name, code in _CONSTRAINT_ROW.findall(text)}
    unknown = set(constraints.values()) - by_code.keys()
    if unknown:
        raise RuntimeError(f"errors.sql maps constraints to unknown codes: {sorted(unknown)}")
    return by_state, by_code, constraints


SQLSTATES, CODES, CONSTRAINTS = _load()


class Problem(Exception):
    """An error a client can act on: rendered as application/problem+json."""

    def __init__(
        self,
        code: str,
        detail: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        known = CODES.get(code)
        self.code = code
        self.status = status or (known.status if known else 500)
        self.title = known.title if known else code.replace("_", " ").capitalize()
        self.detail = detail or self.title
        # Field-level details of a validation failure, rendered as the `errors` extension.
        self.errors: list[dict[str, Any]] | None = None
        self.headers = headers or {}
        # For the audit log, not the client: who a refusal concerns (when known for certain)
        # and why it was refused.
        self.building_id: UUID | None = None
        self.user_id: UUID | None = None
        self.reason: str | None = None
        super().__init__(f"{self.code}: {self.detail}")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"urn:parkshare:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def problem_from_db_error(exc: psycopg.Error) -> Problem:
    """Translate what PostgreSQL answered into the contract's vocabulary."""
    state = exc.sqlstate or ""
    diag = exc.diag
    if state in SQLSTATES:
        return Problem(SQLSTATES[state].code, diag.message_primary)
    if state.startswith("23"):
        code = CONSTRAINTS.get(diag.constraint_name or "", "conflict")
        return Problem(code)
    if state in ("40001", "40P01"):
        return Problem("busy", "a concurrent change got in the way; retry")
    if state[:2] in ("08", "53", "57") or (not state and isinstance(exc, psycopg.OperationalError)):
        # The server is unreachable, overloaded or going down (a lost connection has no code).
        return Problem("unavailable")
    if state.startswith("22") or (not state and isinstance(exc, psycopg.DataError)):
        return Problem("invalid_request", diag.message_primary)
    if state == "42501":
        return Problem("forbidden")
    log.error("unmapped database error %s", state, exc_info=exc)
    return Problem("internal")


def is_retryable(exc: psycopg.Error) -> bool:
    return exc.sqlstate in ("40001", "40P01")


@contextmanager
def db_errors() -> Iterator[None]:
    """Turn any database error raised inside into a Problem."""
    try:
        yield
    except psycopg.Error as exc:
        raise problem_from_db_error(exc) from exc
