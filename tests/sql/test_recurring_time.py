"""Recurring windows keep the building's wall clock across daylight-saving changes, in both
hemispheres: a time in the spring-forward gap starts at the first instant after it, an
ambiguous fall-back time is its first occurrence, a window across midnight on a change night
is as long as the clock says, and neither the server's nor the session's zone matters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from parkshare.store.db import admin_connect, set_context
from tests.conftest import TestDb
from tests.recurring_reference import create, next_changes, today_in
from tests.support import Garage

ZONES = ("Europe/Paris", "Australia/Sydney")
CASES = [(zone, change) for zone in ZONES for change in ("spring", "fall")]
IDS = [f"{zone.split('/')[1]}-{change}" for zone, change in CASES]


@pytest.fixture(params=ZONES, scope="module")
def garage(request: pytest.FixtureRequest, api_database: TestDb) -> Iterator[Garage]:
    # A horizon wide enough to reach both changes of the coming year.
    built = Garage.create(api_database, timezone=request.param, horizon_days=400)
    yield built
    built.close()


def building_zone(garage: Garage) -> ZoneInfo:
    (row,) = garage.call(garage.admin_id, "SELECT timezone FROM parkshare.buildings")
    return ZoneInfo(row["timezone"])


def change_day(zone: ZoneInfo, change: str) -> date:
    return next_changes(zone, today_in(zone) + timedelta(days=1))[change]


def around(zone: ZoneInfo, day: date) -> tuple[date, date]:
    """starts_on and ends_on of a pattern covering the days around `day`."""
    return max(day - timedelta(days=7), today_in(zone)), day + timedelta(days=7)


def windows_on(
    garage: Garage, spot: object, zone: ZoneInfo, day: date
) -> list[tuple[datetime, datetime]]:
    return [(s, e) for s, e in garage.windows(spot) if s.astimezone(zone).date() == day]  # type: ignore[arg-type]


@pytest.mark.parametrize("change", ["spring", "fall"])
def test_a_gap_time_starts_after_the_gap_and_an_ambiguous_one_at_its_first(
    garage: Garage, change: str
) -> None:
    zone = building_zone(garage)
    day = change_day(zone, change)
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    create(garage, owner, spot, (day.isoweekday(),), "02:30", "04:00", 1, *around(zone, day))
    ((start, end),) = windows_on(garage, spot, zone, day)
    if change == "spring":
        # 02:30 does not exist: the clock goes from 02:00 to 03:00.
        assert start == datetime.combine(day, time(3), zone)
        assert start.astimezone(zone).strftime("%H:%M") == "03:00"
        assert end - start == timedelta(hours=1)
    else:
        # 02:30 happens twice: the first, still on summer time.
        # (Compared in UTC: Python's == across zones refuses an ambiguous time, PEP 495.)
        first = datetime.combine(day, time(2, 30), zone).replace(fold=0).astimezone(UTC)
        second = datetime.combine(day, time(2, 30), zone).replace(fold=1).astimezone(UTC)
        assert start == first and second - first == timedelta(hours=1)
        assert end - start == timedelta(hours=2, minutes=30)
    # The same wall clock on the weeks either side.
    for other in (day - timedelta(days=7), day + timedelta(days=7)):
        if other >= today_in(zone):
            ((s, e),) = windows_on(garage, spot, zone, other)
            assert s == datetime.combine(other, time(2, 30), zone)
            assert e == datetime.combine(other, time(4), zone)


@pytest.mark.parametrize("change", ["spring", "fall"])
def test_a_window_across_midnight_on_a_change_night_lasts_what_the_clock_says(
    garage: Garage, change: str
) -> None:
    zone = building_zone(garage)
    day = change_day(zone, change)
    eve = day - timedelta(days=1)
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    create(garage, owner, spot, (eve.isoweekday(),), "22:00", "06:00", 1, *around(zone, eve))
    ((start, end),) = windows_on(garage, spot, zone, eve)
    assert start == datetime.combine(eve, time(22), zone)
    assert end == datetime.combine(day, time(6), zone)
    assert end - start == timedelta(hours=7 if change == "spring" else 9)


@pytest.mark.parametrize("change", ["spring", "fall"])
def test_a_whole_day_pattern_gives_the_change_day_its_23_or_25_hours(
    garage: Garage, change: str
) -> None:
    zone = building_zone(garage)
    day = change_day(zone, change)
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    pattern = create(
        garage, owner, spot, (1, 2, 3, 4, 5, 6, 7), "00:00", "00:00", 1, *around(zone, day)
    )
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT on_date, upper(period) - lower(period) AS length"
            " FROM parkshare.pattern_occurrences WHERE pattern_id = %s",
            (pattern["id"],),
        ).fetchall()
    lengths = {r["on_date"]: r["length"] for r in rows}
    assert lengths[day] == timedelta(hours=23 if change == "spring" else 25)
    assert {v for k, v in lengths.items() if k != day} == {timedelta(hours=24)}
    # Touching days are one window, from the first midnight to the last.
    ((start, end),) = garage.windows(spot)
    first, last = min(lengths), max(lengths)
    assert start == datetime.combine(first, time(0), zone)
    assert end == datetime.combine(last + timedelta(days=1), time(0), zone)


def test_neither_the_server_nor_the_session_zone_changes_the_windows(garage: Garage) -> None:
    zone = building_zone(garage)
    day = change_day(zone, "spring")
    owner = garage.user("Owner")
    found = []
    for session_zone in (None, "Pacific/Kiritimati", "America/St_Johns", "Europe/Paris"):
        spot = garage.spot(owner)
        with garage.conn.transaction():
            if session_zone:
                garage.conn.execute("SELECT set_config('TimeZone', %s, true)", (session_zone,))
            set_context(garage.conn, garage.building_id, owner, garage.session(owner))
            garage.conn.execute(
                "SELECT parkshare.create_pattern(%s, %s::integer[], '02:30', '04:00', 1, %s, %s)",
                (spot, [day.isoweekday()], *around(zone, day)),
            )
        found.append(garage.windows(spot))
    (server,) = garage.call(owner, "SELECT current_setting('TimeZone') AS tz")
    assert server["tz"] != str(zone)
    assert all(windows == found[0] for windows in found)
    assert (datetime.combine(day, time(3), zone), datetime.combine(day, time(4), zone)) in found[0]
