"""For random patterns and pauses around the clock changes of Paris and Sydney, the windows
PostgreSQL materialises are exactly those a plain computation with zoneinfo gives
(tests/recurring_reference.py): the days, the weeks, the pauses, the gap and the ambiguous
hour, merging with each other, and a second run adding nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import TestDb
from tests.recurring_reference import (
    Spec,
    create,
    materialise,
    merged,
    next_changes,
    pause,
    today_in,
)
from tests.support import Garage

ZONES = ("Europe/Paris", "Australia/Sydney")
HORIZON_DAYS = 400
# Times a clock change makes interesting in both zones (the gap and the repeated hour are
# 02:00-03:00 there), among ordinary quarter hours.
EDGES = ["00:00", "01:59", "02:00", "02:01", "02:30", "02:59", "03:00", "03:30", "23:59"]
TIMES = st.one_of(
    st.sampled_from(EDGES),
    st.builds(lambda h, q: f"{h:02}:{q * 15:02}", st.integers(0, 23), st.integers(0, 3)),
)


@pytest.fixture(scope="module")
def garages(api_database: TestDb) -> Iterator[dict[str, Garage]]:
    built = {
        zone: Garage.create(api_database, timezone=zone, horizon_days=HORIZON_DAYS)
        for zone in ZONES
    }
    yield built
    for garage in built.values():
        garage.close()


def clamp(day: date, zone: ZoneInfo) -> date:
    # Patterns start from tomorrow (no occurrence is under way) and within a year.
    today = today_in(zone)
    return min(max(day, today + timedelta(days=1)), today + timedelta(days=366))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    zone_name=st.sampled_from(ZONES),
    change=st.sampled_from(["spring", "fall"]),
    offset=st.integers(-10, 2),
    length=st.integers(0, 21),
    weekdays=st.sets(st.integers(1, 7), min_size=1),
    from_=TIMES,
    until=TIMES,
    every_weeks=st.integers(1, 4),
    pauses=st.lists(st.tuples(st.integers(0, 21), st.integers(0, 4)), max_size=3),
)
# The spring-forward gap itself, on the change day (a Sunday in both zones).
@example(
    zone_name="Europe/Paris",
    change="spring",
    offset=-3,
    length=6,
    weekdays={7},
    from_="02:30",
    until="05:00",
    every_weeks=1,
    pauses=[],
)
@example(
    zone_name="Australia/Sydney",
    change="fall",
    offset=-1,
    length=3,
    weekdays={6, 7},
    from_="02:30",
    until="02:30",
    every_weeks=1,
    pauses=[(0, 0)],
)
def test_materialised_windows_equal_the_reference(
    garages: dict[str, Garage],
    zone_name: str,
    change: str,
    offset: int,
    length: int,
    weekdays: set[int],
    from_: str,
    until: str,
    every_weeks: int,
    pauses: list[tuple[int, int]],
) -> None:
    garage, zone = garages[zone_name], ZoneInfo(zone_name)
    day = next_changes(zone, today_in(zone) + timedelta(days=1))[change]
    starts_on = clamp(day + timedelta(days=offset), zone)
    ends_on = starts_on + timedelta(days=length)
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    pattern = create(
        garage, owner, spot, sorted(weekdays), from_, until, every_weeks, starts_on, ends_on
    )
    paused = tuple(
        (starts_on + timedelta(days=a), starts_on + timedelta(days=a + n)) for a, n in pauses
    )
    for start, end in paused:
        pause(garage, owner, pattern["id"], start, end)
    materialise(garage)
    spec = Spec(
        frozenset(weekdays),
        time.fromisoformat(from_),
        time.fromisoformat(until),
        every_weeks,
        starts_on,
        ends_on,
        paused,
    )
    now = datetime.now(UTC)
    expected = merged(spec.windows(zone, today_in(zone) + timedelta(days=HORIZON_DAYS), now))
    assert garage.windows(spot) == expected
