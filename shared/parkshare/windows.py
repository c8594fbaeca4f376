"""The window a view of the garage covers (list-spots, GraphQL): from now for 24 hours unless
asked, at most 62 days, since a view is for screens and a month is more than any shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parkshare.problems import Problem

DEFAULT_SPAN = timedelta(hours=24)
LONGEST_SPAN = timedelta(days=62)


def view_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    start = start or datetime.now(UTC)
    end = end or start + DEFAULT_SPAN
    if start.tzinfo is None or end.tzinfo is None:
        raise Problem("invalid_window", "times need an offset")
    if end <= start or end - start > LONGEST_SPAN:
        raise Problem(
            "invalid_window", f"end must follow start, by at most {LONGEST_SPAN.days} days"
        )
    return start, end
