"""The iCalendar file (RFC 5545) of a resident's feed, and its conditional answer: `ETag`
(the file's SHA-256) and `Last-Modified` (its latest change), a 304 when the client holds it.

The file is a function of the data alone (DTSTAMP is each booking's last change, as RFC 5545
has it for a calendar without METHOD), so the same bookings give the same bytes and the same
ETag, and a calendar client polling every few minutes mostly gets a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from icalendar import Calendar, Event
from starlette.responses import Response

MEDIA_TYPE = "text/calendar; charset=utf-8"
CACHE_CONTROL = "private, max-age=300"
PRODID = "-//parkshare//calendar feed//EN"
# How often subscribed calendars are asked to look again: REFRESH-INTERVAL (RFC 7986), and
# X-PUBLISHED-TTL for the clients that predate it.
REFRESH = timedelta(hours=1)


def uid(reservation_id: str) -> str:
    """A reservation's one UID, wherever it is exported (the web app's .ics too)."""
    return f"{reservation_id}@parkshare"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _event(row: Mapping[str, Any]) -> Event:
    label = row["spot_label"]
    event = Event()
    event.add("uid", uid(str(row["id"])))
    changed = _instant(row["changed_at"])
    event.add("dtstamp", changed)
    event.add("dtstart", _instant(row["start"]))
    event.add("dtend", _instant(row["end"]))
    # An owner's event names the spot and the fact, never who parks in it.
    event.add("summary", f"Parking {label}" if row["role"] == "parker" else f"{label} booked")
    event.add("location", ", ".join(p for p in (f"Spot {label}", row["location"]) if p))
    event.add("sequence", int(row["revision"]))
    # A no-show released the spot: for both sides the stay did not happen.
    event.add("status", "CANCELLED" if row["status"] in ("cancelled", "no_show") else "CONFIRMED")
    event.add("last-modified", changed)
    return event


def render(feed: Mapping[str, Any]) -> bytes:
    """The feed `calendar_feed()` answered, as an iCalendar file."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = f"Parking: {feed['name']}"
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for row in feed["events"]:
        calendar.add_component(_event(row))
    return bytes(calendar.to_ical())


def last_modified(feed: Mapping[str, Any]) -> datetime | None:
    changes = [_instant(row["changed_at"]) for row in feed["events"]]
    return max(changes).replace(microsecond=0) if changes else None


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/ is ignored.
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _not_modified_since(header: str, changed: datetime | None) -> bool:
    if changed is None:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 13.1.3 says
    if since.tzinfo is None:
        return False
    return changed <= since


def answer(feed: Mapping[str, Any], headers: Mapping[str, str]) -> Response:
    """200 with the file, or 304 with its validators alone when the request's match it.
    If-None-Match, when sent, decides alone (RFC 9110 13.2.2)."""
    body = render(feed)
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    changed = last_modified(feed)
    validators = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if changed is not None:
        validators["Last-Modified"] = format_datetime(changed, usegmt=True)
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        fresh = _etag_matches(if_none_match, etag)
    else:
        fresh = _not_modified_since(headers.get("if-modified-since", ""), changed)
    if fresh:
        return Response(status_code=304, headers=validators)
    return Response(body, media_type=MEDIA_TYPE, headers=validators)
