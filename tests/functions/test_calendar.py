"""The calendar function over HTTP: the caller's feed URL and its rotation, and the feed a
calendar client reads at it (RFC 5545, read back by two parsers), with its validators."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import icalendar
import pytest
import recurring_ical_events

from parkshare.calendar.tokens import feed_token, token_hash
from parkshare.config import get_settings
from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.functions.conftest import bearer, code_of
from tests.support import HOUR, Garage, next_hour, now, problem_code

Client = Callable[[str], httpx.AsyncClient]
FEEDS = "https://calendar.example.test/fn/calendar"
URL = re.compile(re.escape(FEEDS) + r"/feed/([A-Za-z0-9_-]{43})\.ics")


class Building:
    """Olga owns spot B1-05 (level -1), offered tomorrow for six hours; Paul and Rita park."""

    def __init__(self, garage: Garage, client: Client) -> None:
        self.g, self.client = garage, client
        self.olga, self.paul, self.rita = (garage.user(n) for n in ("Olga", "Paul", "Rita"))
        self.spot = UUID(
            str(
                garage.one(
                    self.olga, "SELECT id FROM parkshare.add_spot('B1-05', 'level -1', NULL)"
                )["id"]
            )
        )
        self.start = next_hour(24)
        garage.offer(self.olga, self.spot, self.start, self.start + 6 * HOUR)

    def book(self, who: UUID, hours: int = 0, length: int = 1) -> str:
        start = self.start + hours * HOUR
        return str(self.g.reserve(who, self.spot, start, start + length * HOUR)["id"])

    async def url(self, who: UUID, method: str = "GET", path: str = "/") -> str:
        async with self.client("calendar") as http:
            answer = await http.request(method, path, headers=bearer(self.g, who))
        assert answer.status_code == 200, answer.text
        assert answer.json().keys() == {"url"}
        url: str = answer.json()["url"]
        return url

    async def fetch(self, url: str, **headers: str) -> httpx.Response:
        # The client sends no credentials: the URL alone is the secret.
        path = url.removeprefix(FEEDS)
        async with self.client("calendar") as http:
            return await http.get(path, headers=headers)

    async def feed(self, who: UUID) -> icalendar.Calendar:
        answer = await self.fetch(await self.url(who))
        assert answer.status_code == 200, answer.text
        return icalendar.Calendar.from_ical(answer.content)


@pytest.fixture(autouse=True)
def _feeds_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PARKSHARE_CALENDAR_URL", FEEDS)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PARKSHARE_CALENDAR_URL")
    get_settings.cache_clear()


@pytest.fixture
def b(api_garage: Garage, client: Client) -> Building:
    return Building(api_garage, client)


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event)}


def sequence(event: icalendar.Event) -> int:
    return int(str(event["SEQUENCE"]))


async def test_the_url_is_absolute_https_and_the_same_until_rotated(b: Building) -> None:
    first = await b.url(b.paul)
    assert URL.fullmatch(first), first
    assert await b.url(b.paul) == first
    assert await b.url(b.olga) != first
    async with b.client("calendar") as http:
        refused = await http.get("/")
    assert (refused.status_code, code_of(refused)) == (401, "unauthenticated")


async def test_the_feed_parses_and_lists_the_callers_bookings(b: Building) -> None:
    first, second = b.book(b.paul, 0), b.book(b.paul, 3)
    answer = await b.fetch(await b.url(b.paul))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["cache-control"] == "private, max-age=300"
    assert b"\r\n" in answer.content
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert "parkshare" in str(calendar["PRODID"])
    assert "Test Building" in str(calendar["X-WR-CALNAME"])
    assert calendar.decoded("REFRESH-INTERVAL") == timedelta(hours=1)
    found = events(calendar)
    assert found.keys() == {f"{first}@parkshare", f"{second}@parkshare"}
    event = found[f"{first}@parkshare"]
    assert str(event["SUMMARY"]) == "Parking B1-05"
    assert "B1-05" in str(event["LOCATION"]) and "level -1" in str(event["LOCATION"])
    assert event.decoded("DTSTART") == b.start and event.decoded("DTSTART").utcoffset() == (
        timedelta(0)
    )
    assert event.decoded("DTEND") == b.start + HOUR
    assert str(event["STATUS"]) == "CONFIRMED" and sequence(event) == 0
    assert "DTSTAMP" in event and "LAST-MODIFIED" in event
    # A second reader, asked for a window, finds only what falls in it.
    window = recurring_ical_events.of(calendar).between(b.start + 2 * HOUR, b.start + 5 * HOUR)
    assert [str(e["UID"]) for e in window] == [f"{second}@parkshare"]
    everything = recurring_ical_events.of(calendar).between(b.start, b.start + 6 * HOUR)
    assert len(everything) == 2


async def test_the_owner_sees_their_spots_bookings_without_the_parker(b: Building) -> None:
    booking = b.book(b.paul, 1)
    answer = await b.fetch(await b.url(b.olga))
    (event,) = events(icalendar.Calendar.from_ical(answer.content)).values()
    assert str(event["UID"]) == f"{booking}@parkshare"
    assert str(event["SUMMARY"]) == "B1-05 booked"
    assert b"Paul" not in answer.content
    paul = events(await b.feed(b.paul))[f"{booking}@parkshare"]
    assert str(paul["SUMMARY"]) == "Parking B1-05"


async def test_a_cancellation_updates_the_feed(b: Building) -> None:
    booking = b.book(b.paul, 2)
    url = await b.url(b.paul)
    before = await b.fetch(url)
    held = events(icalendar.Calendar.from_ical(before.content))[f"{booking}@parkshare"]
    b.g.cancel(b.paul, UUID(booking))
    after = await b.fetch(url, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, "the old ETag no longer matches"
    assert after.headers["etag"] != before.headers["etag"]
    event = events(icalendar.Calendar.from_ical(after.content))[f"{booking}@parkshare"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert sequence(event) > sequence(held)
    assert event.decoded("LAST-MODIFIED") >= held.decoded("LAST-MODIFIED")
    # The owner's copy says the same.
    owner = events(await b.feed(b.olga))[f"{booking}@parkshare"]
    assert str(owner["STATUS"]) == "CANCELLED" and sequence(owner) == sequence(event)


async def test_a_client_holding_the_feed_gets_304(b: Building) -> None:
    b.book(b.paul)
    url = await b.url(b.paul)
    first = await b.fetch(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag)
    again = await b.fetch(url)
    assert again.headers["etag"] == etag and again.content == first.content
    cached = await b.fetch(url, **{"If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["etag"] == etag
    assert (await b.fetch(url, **{"If-None-Match": f'"other", W/{etag}'})).status_code == 304
    assert (await b.fetch(url, **{"If-None-Match": '"other"'})).status_code == 200
    assert (await b.fetch(url, **{"If-Modified-Since": modified})).status_code == 304
    earlier = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert (await b.fetch(url, **{"If-Modified-Since": earlier})).status_code == 200
    # If-None-Match decides alone when both are sent.
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert (await b.fetch(url, **both)).status_code == 200


async def test_rotating_ends_the_old_url(b: Building) -> None:
    booking = b.book(b.paul)
    old = await b.url(b.paul)
    new = await b.url(b.paul, "POST", "/rotate")
    assert URL.fullmatch(new) and new != old
    gone = await b.fetch(old)
    assert (gone.status_code, code_of(gone)) == (404, "calendar_not_found")
    assert gone.headers["content-type"].startswith("application/problem+json")
    works = await b.fetch(new)
    assert works.status_code == 200
    assert f"{booking}@parkshare" in events(icalendar.Calendar.from_ical(works.content))
    assert await b.url(b.paul) == new


@pytest.mark.parametrize("token", ["A" * 43, "short", "A" * 42 + "!", "A" * 44])
async def test_an_unknown_token_is_calendar_not_found(b: Building, token: str) -> None:
    answer = await b.fetch(f"{FEEDS}/feed/{token}.ics")
    assert (answer.status_code, code_of(answer)) == (404, "calendar_not_found"), answer.text


async def test_another_residents_bookings_are_absent(b: Building) -> None:
    mine, theirs = b.book(b.paul, 0), b.book(b.rita, 2)
    assert events(await b.feed(b.paul)).keys() == {f"{mine}@parkshare"}
    assert events(await b.feed(b.rita)).keys() == {f"{theirs}@parkshare"}
    assert events(await b.feed(b.olga)).keys() == {f"{mine}@parkshare", f"{theirs}@parkshare"}


async def test_bookings_that_ended_over_30_days_ago_are_absent(b: Building) -> None:
    old, spanning, recent = b.book(b.paul, 0), b.book(b.paul, 2, length=2), b.book(b.paul, 5)
    # Back in time until 30 days ago falls at start + 3 h: the first ended 2 h before it, the
    # second began an hour before it and ends an hour after, the third ends 3 h after.
    b.g.travel(b.start + 3 * HOUR - (now() - timedelta(days=30)))
    kept = {f"{spanning}@parkshare", f"{recent}@parkshare"}
    assert events(await b.feed(b.paul)).keys() == kept, old
    assert events(await b.feed(b.olga)).keys() == kept


async def test_a_disabled_residents_feed_is_gone(b: Building) -> None:
    url = await b.url(b.paul)
    b.g.call(b.g.admin_id, "SELECT parkshare.disable_user(%s)", (b.paul,))
    answer = await b.fetch(url)
    assert (answer.status_code, code_of(answer)) == (404, "calendar_not_found")


async def test_the_database_keeps_only_the_tokens_hash(b: Building) -> None:
    url = await b.url(b.paul)
    match = URL.fullmatch(url)
    assert match is not None
    token = match.group(1)
    with admin_connect(b.g.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT * FROM parkshare.calendar_feeds WHERE user_id = %s", (b.paul,)
        ).fetchall()
    (row,) = rows
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()
    stored: list[Any] = list(row.values())
    for value in stored:
        text = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        assert token.encode() not in text


async def test_the_access_log_shows_no_token(b: Building, caplog: pytest.LogCaptureFixture) -> None:
    url = await b.url(b.paul)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with caplog.at_level(logging.INFO, logger="parkshare.access"):
        assert (await b.fetch(url)).status_code == 200
        async with b.client("calendar") as http:
            refused = await http.post(url.removeprefix(FEEDS))
        assert refused.status_code == 405
    logged = [r for r in caplog.records if r.name == "parkshare.access"]
    assert logged and all(token not in r.getMessage() for r in logged)
    assert all(token not in str(getattr(r, "path", "")) for r in logged)
    assert any("/feed/{token}.ics" in r.getMessage() for r in logged)


def test_feed_times_are_utc() -> None:
    # The feed writes instants as UTC (…Z), whatever the server's zone.
    from parkshare.calendar.feed import render

    at = datetime(2026, 3, 1, 13, 0, tzinfo=UTC).isoformat()
    row: dict[str, Any] = {"id": "x", "role": "parker", "spot_label": "A", "location": None}
    row["start"] = at
    row |= {"end": at, "status": "booked", "revision": 0, "changed_at": at}
    text = render({"name": "N", "events": [row]}).decode()
    assert "DTSTART:20260301T130000Z" in text and "LOCATION:Spot A" in text


def test_the_application_role_reads_no_feed_hash(b: Building) -> None:
    # Only the procedures see calendar_feeds: a hash read out would be a lookup key for it.
    with pytest.raises(Problem) as refused:
        b.g.call(b.paul, "SELECT token_hash FROM parkshare.calendar_feeds")
    assert problem_code(refused.value) == "forbidden"


async def test_a_feed_never_goes_back_a_generation(b: Building) -> None:
    await b.url(b.paul, "POST", "/rotate")
    await b.url(b.paul, "POST", "/rotate")
    older = feed_token(b.g.building_id, b.paul, 1)
    with pytest.raises(Problem) as refused:
        b.g.call(b.paul, "SELECT parkshare.set_calendar(1, %s)", (token_hash(older),))
    assert problem_code(refused.value) == "invalid_request"
    gone = await b.fetch(f"{FEEDS}/feed/{older}.ics")
    assert (gone.status_code, code_of(gone)) == (404, "calendar_not_found")


async def test_head_answers_the_validators_and_a_slash_is_no_token(b: Building) -> None:
    url = await b.url(b.paul)
    async with b.client("calendar") as http:
        head = await http.head(url.removeprefix(FEEDS))
        sliced = await http.get("/feed/" + "A" * 20 + "/" + "A" * 22 + ".ics")
    assert head.status_code == 200 and head.headers["etag"]
    assert head.headers["content-type"].startswith("text/calendar")
    assert (sliced.status_code, code_of(sliced)) == (404, "not_found")
