"""Time: instants compare as instants whatever their offset; whatever is local (the horizon,
"8 to 18 on that day") follows the building's zone, across daylight-saving changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from parkshare.problems import Problem
from tests.conftest import TestDb
from tests.support import HOUR, Garage, next_hour

PARIS = ZoneInfo("Europe/Paris")


def next_offset_changes(zone: ZoneInfo, after: date) -> tuple[date, date]:
    """The next day the zone springs forward and the next day it falls back."""
    spring = fall = None
    day = after
    while spring is None or fall is None:
        before = datetime.combine(day, time(0), zone).utcoffset()
        later = datetime.combine(day + timedelta(days=1), time(0), zone).utcoffset()
        assert before is not None and later is not None
        if later > before and spring is None:
            spring = day
        if later < before and fall is None:
            fall = day
        day += timedelta(days=1)
    return spring, fall


SPRING, FALL = next_offset_changes(PARIS, datetime.now(UTC).date() + timedelta(days=1))


@pytest.fixture
def paris(database: TestDb) -> Iterator[Garage]:
    # A horizon wide enough to reach both changes of the coming year.
    built = Garage.create(database, timezone="Europe/Paris", horizon_days=400)
    yield built
    built.close()


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, PARIS)


@pytest.mark.parametrize("day", [SPRING, FALL], ids=["spring", "fall"])
def test_local_window_is_wall_clock_time_on_a_change_day(paris: Garage, day: date) -> None:
    row = paris.one(
        paris.admin_id,
        "SELECT lower(w) AS s, upper(w) AS e, upper(d) - lower(d) AS whole"
        " FROM parkshare.ps_local_window('Europe/Paris', %s, '08:00', '18:00') w,"
        " parkshare.ps_local_window('Europe/Paris', %s, '00:00', '00:00') d",
        (day, day),
    )
    assert row["s"] == local(day, time(8)) and row["e"] == local(day, time(18))
    assert row["whole"] == (timedelta(hours=23) if day == SPRING else timedelta(hours=25))


def test_max_hours_is_elapsed_time_across_a_change(paris: Garage) -> None:
    owner, parker = paris.user("Owner"), paris.user("Parker")
    spot = paris.spot(owner)
    for day in (SPRING, FALL):
        paris.offer(owner, spot, local(day, time(0)), local(day + timedelta(days=1), time(0)))
    short_day = paris.reserve(
        parker, spot, local(SPRING, time(0)), local(SPRING + timedelta(days=1), time(0))
    )
    assert short_day["period"].upper - short_day["period"].lower == timedelta(hours=23)
    with pytest.raises(Problem, check=lambda e: e.code == "invalid_window"):
        paris.reserve(parker, spot, local(FALL, time(0)), local(FALL + timedelta(days=1), time(0)))


def test_local_days_keep_the_wall_clock_across_a_change(paris: Garage) -> None:
    before = local(SPRING - timedelta(days=1), time(9))
    for session_zone in ("UTC", "Pacific/Kiritimati", "America/St_Johns"):
        with paris.conn.transaction():
            paris.conn.execute("SELECT set_config('TimeZone', %s, true)", (session_zone,))
            row = paris.conn.execute(
                "SELECT parkshare.ps_local_add_days(%s, 2, 'Europe/Paris') AS t", (before,)
            ).fetchone()
        assert row is not None
        assert row["t"] == local(SPRING + timedelta(days=1), time(9))
        assert row["t"] - before == timedelta(hours=47)


def test_the_session_time_zone_changes_no_answer(paris: Garage) -> None:
    owner, parker = paris.user("Owner"), paris.user("Parker")
    spot = paris.spot(owner)
    paris.offer(owner, spot, next_hour(), next_hour(30))
    with paris.conn.transaction():
        paris.conn.execute("SET LOCAL TimeZone = 'Pacific/Kiritimati'")
        paris.conn.execute(
            "SELECT set_config('parkshare.building_id', %s, true),"
            " set_config('parkshare.user_id', %s, true)",
            (str(paris.building_id), str(parker)),
        )
        row = paris.conn.execute(
            "SELECT lower(period) AS s, upper(period) AS e FROM parkshare.reserve(%s, %s, %s)",
            (spot, next_hour(2), next_hour(4)),
        ).fetchone()
    assert row is not None and (row["s"], row["e"]) == (next_hour(2), next_hour(4))


def test_one_instant_in_any_offset_is_one_instant(paris: Garage) -> None:
    owner, first, second = paris.user("Owner"), paris.user("First"), paris.user("Second")
    spot = paris.spot(owner)
    paris.offer(owner, spot, next_hour(), next_hour(30))
    start = next_hour(5)
    plus_two, minus_five = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))
    paris.reserve(first, spot, start.astimezone(plus_two), (start + HOUR).astimezone(plus_two))
    with pytest.raises(Problem, check=lambda e: e.code == "spot_taken"):
        paris.reserve(
            second, spot, start.astimezone(minus_five), (start + HOUR).astimezone(minus_five)
        )


def test_times_render_in_utc_with_a_z(paris: Garage) -> None:
    row = paris.one(
        paris.admin_id,
        "SELECT parkshare.ps_iso(%s) AS whole, parkshare.ps_iso(%s) AS fraction",
        (local(FALL, time(2, 30)), datetime(2030, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)),
    )
    expected = local(FALL, time(2, 30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert row == {"whole": expected, "fraction": "2030-01-02T03:04:05.006000Z"}


def test_a_start_within_five_minutes_of_now_is_still_accepted(paris: Garage) -> None:
    owner, parker = paris.user("Owner"), paris.user("Parker")
    spot = paris.spot(owner)
    now = datetime.now(UTC)
    paris.offer(owner, spot, now - HOUR, now + 5 * HOUR)
    paris.reserve(parker, spot, now - timedelta(minutes=2), now + HOUR)
    with pytest.raises(Problem, check=lambda e: e.code == "invalid_window"):
        paris.reserve(
            paris.user("Late"), spot, now - timedelta(minutes=7), now - timedelta(minutes=6)
        )
