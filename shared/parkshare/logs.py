"""Log lines as one JSON object each, carrying the id of the request they belong to.

A request's id comes from its `X-Request-Id` header when that looks like an id (an ingress
or a client may have set it, so one id follows a click through every hop), else a new one;
it is echoed on the response and stamped on every line logged while the request runs.
Containers log JSON; a terminal gets plain text (`PARKSHARE_LOG_FORMAT` to choose).

No secret reaches a log line: every line passes through `Redact`, which blanks the values
of parameters that carry one (`?token=` of the relay, the single sign-on's `code` and
`state`, refresh tokens, invite codes, passwords) and anything shaped like a bearer token
or a JWT, whoever logged it (our code, uvicorn's lines about websockets, a library).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

HEADER = "X-Request-Id"
# Per request (each request runs in its own task, which copies the context it starts with).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# What a client may send as an id: short and printable, so it cannot forge log lines.
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
# Attributes every LogRecord has: anything else on a record came from `extra=`.
# (uvicorn adds `color_message`, the same text with terminal colours.)
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


_SECRET_PARAMETER = re.compile(
    r"(?i)\b(token|access_token|refresh_token|id_token|code|state|session_state|invite_code|"
    r"password|new_password|current_password|client_secret|secret|settletoken)"
    r"(=|%3D|\"\s*:\s*\"|'\s*:\s*')([^&\s\"',;]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|display)(\s*,?\s+)[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """`text` with every secret it carries blanked."""
    text = _JWT.sub(REDACTED, text)
    text = _SECRET_PARAMETER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    return _BEARER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)


class Redact(logging.Filter):
    """Blanks secrets in a record's message, its extra fields and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        raised = record.exc_info[1] if record.exc_info else None
        if raised is not None and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(raised)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def incoming_id(headers: Mapping[str, str]) -> str:
    """The request's id: the caller's `X-Request-Id` when it is a plausible id, else new."""
    given = headers.get(HEADER.lower(), "")
    return given if _ACCEPTED_ID.match(given) else uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id"?, …extra, "exception"?}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def configure(fmt: str = "auto", level: str = "INFO") -> None:
    """One handler on the root logger, on stderr; libraries' loggers propagate to it."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Redact())
    handler.setFormatter(
        JsonFormatter() if use_json else logging.Formatter("%(asctime)s %(name)s %(message)s")
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
