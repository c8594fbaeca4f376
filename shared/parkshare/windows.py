"""Time windows: the instants an answer can express, and the window a view of the garage
covers (list-spots, GraphQL): from now for 24 hours unless asked, at most 62 days, since a
view is for screens and a month is more than any shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parkshare.problems import Problem

DEFAULT_SPAN = timedelta(hours=24)
LONGEST_SPAN = timedelta(days=62)
# RFC 3339 has four-digit years; the database refuses windows outside these too
# (ps_is_expressible), so nothing stored is beyond what an answer can carry.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def expressible(moment: datetime) -> datetime:
    """`moment`, if it has an offset and lies from the year 2000 to 9998 in UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time needs an offset (RFC 3339)")
    try:
        inside = EARLIEST <= moment.astimezone(UTC) < LATEST
    except OverflowError:
        inside = False
    if not inside:
        raise ValueError("times lie between the years 2000 and 9998 (UTC)")
    return moment


def view_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    try:
        start = expressible(start or datetime.now(UTC))
        end = expressible(end or min(start + DEFAULT_SPAN, LATEST - timedelta(microseconds=1)))
    except (ValueError, OverflowError) as exc:
        raise Problem("invalid_window", str(exc)) from exc
    if end <= start or end - start > LONGEST_SPAN:
        raise Problem(
            "invalid_window", f"end must follow start, by at most {LONGEST_SPAN.days} days"
        )
    return start, end
