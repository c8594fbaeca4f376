"""How every answer, event and log writes an instant."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z, as every answer carries times."""
    text = moment.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"
