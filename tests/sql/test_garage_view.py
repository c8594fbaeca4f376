"""The garage view reads only the bookings near its window (those starting at most the
building's longest booking before it), so a long booking in progress must still show, and
the longest booking a building has seen may grow but never shrink."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.support import Garage, next_hour


@pytest.fixture
def long_garage(database: TestDb) -> Any:
    built = Garage.create(database, max_hours=72)
    yield built
    built.close()


def views(garage: Garage, user: UUID, start: datetime, end: datetime) -> dict[str, Any]:
    rows = garage.call(
        user, "SELECT v AS view FROM parkshare.spot_views_v2(%s, %s) v", (start, end)
    )
    return {row["view"]["label"]: row["view"] for row in rows}


def longest(garage: Garage) -> timedelta:
    with admin_connect(garage.db.admin_url) as admin:
        row = admin.execute(
            "SELECT longest_booking FROM parkshare.buildings WHERE id = %s",
            (garage.building_id,),
        ).fetchone()
    assert row is not None
    return row["longest_booking"]  # type: ignore[no-any-return]


def test_a_long_booking_in_progress_shows_however_long_ago_it_started(
    long_garage: Garage,
) -> None:
    garage = long_garage
    owner, parker, other = garage.user("owner"), garage.user("parker"), garage.user("other")
    long_spot, short_spot = garage.spot(owner, "L1"), garage.spot(owner, "S1")
    start = next_hour()
    for spot in (long_spot, short_spot):
        garage.offer(owner, spot, start, start + timedelta(hours=72))
    garage.reserve(parker, long_spot, start, start + timedelta(hours=60))
    garage.reserve(other, short_spot, start, start + timedelta(hours=2))
    assert longest(garage) == timedelta(hours=60)

    # Two days later the long booking is still going; the short one ended long ago.
    garage.travel(timedelta(hours=49))
    now = datetime.now(start.tzinfo)
    seen = views(garage, other, now, now + timedelta(hours=1))
    assert seen["L1"]["status_now"] == "reserved"
    assert seen["L1"]["free_for_window"] is False
    assert len(seen["L1"]["reservations"]) == 1
    assert seen["L1"]["next_change_at"] is not None
    assert seen["S1"]["status_now"] == "free"
    assert seen["S1"]["reservations"] == []
    assert seen["S1"]["free_for_window"] is True


def test_a_booking_that_began_before_a_later_window_covers_it(long_garage: Garage) -> None:
    garage = long_garage
    owner, parker, other = garage.user("owner"), garage.user("parker"), garage.user("other")
    spot = garage.spot(owner, "A1")
    start = next_hour(2)
    garage.offer(owner, spot, start, start + timedelta(hours=48))
    garage.reserve(parker, spot, start, start + timedelta(hours=30))

    window = (start + timedelta(hours=28), start + timedelta(hours=29))
    seen = views(garage, other, *window)["A1"]
    assert seen["free_for_window"] is False
    assert [r["mine"] for r in seen["reservations"]] == [False]
    assert views(garage, parker, *window)["A1"]["reservations"][0]["mine"] is True
    later = (start + timedelta(hours=30), start + timedelta(hours=31))
    assert views(garage, other, *later)["A1"]["free_for_window"] is True


def test_the_longest_booking_only_grows(long_garage: Garage) -> None:
    garage = long_garage
    owner, parker = garage.user("owner"), garage.user("parker")
    spot = garage.spot(owner)
    garage.grant(parker, 500)
    start = next_hour()
    garage.offer(owner, spot, start, start + timedelta(hours=72))
    assert longest(garage) == timedelta(0)
    first = garage.reserve(parker, spot, start, start + timedelta(hours=5))
    assert longest(garage) == timedelta(hours=5)
    garage.cancel(parker, first["id"])
    assert longest(garage) == timedelta(hours=5)
    garage.reserve(parker, spot, start, start + timedelta(hours=3))
    assert longest(garage) == timedelta(hours=5)
