"""Recurring sharing in PostgreSQL: a pattern's occurrences become ordinary availability
windows up to the horizon, once each, whoever runs the materialisation and however late;
pausing and stopping withdraw them under rule 10; patterns are their owner's alone.

Each test builds its own building in the session's shared database; the worker's run is
called for that building only, so other tests' patterns are never moved by its clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg
import pytest

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.recurring_reference import (
    Spec,
    create,
    materialise,
    merged,
    pause,
    stop,
    today_in,
)
from tests.support import Garage, problem_code

PARIS = ZoneInfo("Europe/Paris")
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)
HORIZON_DAYS = 30
WEEK = timedelta(days=7)


@pytest.fixture
def paris(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database, timezone="Europe/Paris", horizon_days=HORIZON_DAYS)
    yield built
    built.close()


def spec_of(pattern: dict[str, Any]) -> Spec:
    return Spec(
        weekdays=frozenset(pattern["weekdays"]),
        from_=time.fromisoformat(str(pattern["from"])),
        until=time.fromisoformat(str(pattern["until"])),
        every_weeks=int(pattern["every_weeks"]),
        starts_on=date.fromisoformat(str(pattern["starts_on"])),
        ends_on=date.fromisoformat(str(pattern["ends_on"])) if pattern["ends_on"] else None,
    )


def occurrences(garage: Garage, pattern: str) -> list[date]:
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT on_date FROM parkshare.pattern_occurrences WHERE pattern_id = %s"
            " ORDER BY on_date",
            (pattern,),
        ).fetchall()
    return [r["on_date"] for r in rows]


def availability_events(garage: Garage) -> int:
    return len(garage.outbox("availability.changed"))


def owner_and_spot(garage: Garage) -> tuple[UUID, UUID]:
    owner = garage.user("Owner")
    return owner, garage.spot(owner)


# --- made at creation, up to the horizon -------------------------------------------------


def test_a_new_pattern_offers_every_occurrence_up_to_the_horizon(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    before = availability_events(paris)
    pattern = create(paris, owner, spot, (1, 2, 3, 4, 5), "08:00", "18:00")
    now = datetime.now(UTC)
    last = today_in(PARIS) + timedelta(days=HORIZON_DAYS)
    expected = spec_of(pattern).windows(PARIS, last, now)
    assert paris.windows(spot) == merged(expected)
    assert expected and max(s for s, _ in expected).astimezone(PARIS).date() <= last
    # One event per window made, through the outbox like any offer.
    assert availability_events(paris) - before == len(expected)
    assert pattern["status"] == "active" and pattern["paused"] == []
    assert pattern["starts_on"] == today_in(PARIS).isoformat()


def test_occurrences_merge_with_manual_windows(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    tomorrow = today_in(PARIS) + timedelta(days=1)
    manual = (
        datetime.combine(tomorrow, time(7), PARIS),
        datetime.combine(tomorrow, time(9), PARIS),
    )
    paris.offer(owner, spot, *manual)
    create(paris, owner, spot, EVERY_DAY, "08:00", "12:00", starts_on=tomorrow, ends_on=tomorrow)
    assert paris.windows(spot) == [(manual[0], datetime.combine(tomorrow, time(12), PARIS))]


def test_a_24_hour_pattern_is_one_window_up_to_the_horizon(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    create(paris, owner, spot, EVERY_DAY, "00:00", "00:00")
    today = today_in(PARIS)
    ((start, end),) = paris.windows(spot)
    assert start == datetime.combine(today, time(0), PARIS)
    assert end == datetime.combine(today + timedelta(days=HORIZON_DAYS + 1), time(0), PARIS)


def test_every_other_week_counts_weeks_from_the_week_of_starts_on(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    # A Sunday start: the Monday after it is already the next week, so it has no occurrence.
    today = today_in(PARIS)
    sunday = today + timedelta(days=(7 - today.isoweekday()) % 7 or 7)
    pattern = create(paris, owner, spot, (1, 7), "10:00", "11:00", 2, sunday)
    days = occurrences(paris, pattern["id"])
    # Week 0 is the week ending on that Sunday; week 1 (the next 7 days) has none.
    assert days[:3] == [sunday, sunday + timedelta(days=8), sunday + timedelta(days=14)]


def test_ends_on_is_the_last_day_of_occurrences(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    start = today_in(PARIS) + timedelta(days=1)
    pattern = create(paris, owner, spot, EVERY_DAY, "20:00", "22:00", 1, start, start)
    assert occurrences(paris, pattern["id"]) == [start]
    assert materialise(paris, datetime.now(UTC) + WEEK) == 0


# --- the worker's run: idempotent, catching up ---------------------------------------------


def test_running_the_materialisation_again_adds_nothing(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    create(paris, owner, spot, (1, 3, 5), "18:00", "08:00")
    windows, events = paris.windows(spot), availability_events(paris)
    assert materialise(paris) == 0
    assert materialise(paris) == 0
    assert paris.windows(spot) == windows
    assert availability_events(paris) == events


def test_after_a_week_of_downtime_the_run_catches_up_once(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    pattern = create(paris, owner, spot, EVERY_DAY, "09:00", "17:00")
    now = datetime.now(UTC)
    later = now + WEEK
    added = materialise(paris, later)
    assert added == 7
    assert materialise(paris, later) == 0
    assert materialise(paris, later - timedelta(days=3)) == 0
    last = today_in(PARIS, later) + timedelta(days=HORIZON_DAYS)
    assert paris.windows(spot) == merged(spec_of(pattern).windows(PARIS, last, now))
    days = occurrences(paris, pattern["id"])
    assert days == sorted(set(days)) and days[-1] == last


def test_a_window_withdrawn_by_hand_is_not_put_back(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    create(paris, owner, spot, EVERY_DAY, "08:00", "18:00")
    day = today_in(PARIS) + timedelta(days=3)
    gone = (datetime.combine(day, time(8), PARIS), datetime.combine(day, time(18), PARIS))
    paris.withdraw(owner, spot, *gone)
    for at in (None, datetime.now(UTC) + timedelta(days=1), datetime.now(UTC) + WEEK):
        materialise(paris, at)
    assert gone not in paris.windows(spot)
    assert not [w for w in paris.windows(spot) if w[0] < gone[1] and w[1] > gone[0]]


def test_a_disabled_owners_patterns_are_not_materialised(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    create(paris, owner, spot, EVERY_DAY, "08:00", "18:00")
    paris.one(paris.admin_id, "SELECT parkshare.disable_user(%s) AS s", (owner,))
    assert materialise(paris, datetime.now(UTC) + WEEK) == 0


def test_the_run_is_system_work(paris: Garage) -> None:
    with pytest.raises(Problem) as refused:
        paris.one(paris.admin_id, "SELECT parkshare.materialise_patterns() AS n")
    assert problem_code(refused.value) == "forbidden"


# --- pause and stop --------------------------------------------------------------------------


def test_a_pause_withdraws_its_days_and_later_runs_skip_them(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    pattern = create(paris, owner, spot, EVERY_DAY, "08:00", "18:00")
    today = today_in(PARIS)
    # Days already made (within the horizon) and days only a later run makes.
    first, last = today + timedelta(days=2), today + timedelta(days=HORIZON_DAYS + 3)
    answer = pause(paris, owner, pattern["id"], first, last)
    assert answer["paused"] == [{"start_date": first.isoformat(), "end_date": last.isoformat()}]
    materialise(paris, datetime.now(UTC) + WEEK)
    spec = spec_of(pattern)
    paused = Spec(**{**spec.__dict__, "pauses": ((first, last),)})
    horizon = today_in(PARIS, datetime.now(UTC) + WEEK) + timedelta(days=HORIZON_DAYS)
    assert paris.windows(spot) == merged(paused.windows(PARIS, horizon, datetime.now(UTC)))


def test_a_pause_over_a_booking_is_refused_unless_it_cancels_it(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    parker = paris.user("Parker")
    pattern = create(paris, owner, spot, EVERY_DAY, "08:00", "18:00")
    day = today_in(PARIS) + timedelta(days=2)
    booking = paris.reserve(
        parker, spot, datetime.combine(day, time(9), PARIS), datetime.combine(day, time(11), PARIS)
    )
    credits = paris.balance(parker)
    with pytest.raises(Problem) as refused:
        pause(paris, owner, pattern["id"], day, day)
    assert problem_code(refused.value) == "has_reservations"
    assert paris.reservation(booking["id"])["status"] == "booked"
    cancelled_before = len(paris.outbox("reservation.cancelled"))
    answer = pause(paris, owner, pattern["id"], day, day, cancel=True)
    assert answer["paused"] == [{"start_date": day.isoformat(), "end_date": day.isoformat()}]
    assert paris.reservation(booking["id"])["status"] == "cancelled"
    assert paris.balance(parker) == credits + booking["cost"]
    assert len(paris.outbox("reservation.cancelled")) == cancelled_before + 1
    assert not [w for w in paris.windows(spot) if w[0].astimezone(PARIS).date() == day]
    audit = paris.audit()
    assert audit["users"] + audit["escrow"] == audit["grants"] and audit["drifted_accounts"] == 0


def test_stopping_withdraws_what_has_not_started_and_keeps_what_is_under_way(
    paris: Garage,
) -> None:
    owner, spot = owner_and_spot(paris)
    now = datetime.now(UTC).astimezone(PARIS).replace(second=0, microsecond=0)
    started = now - timedelta(minutes=1)
    if started.date() != now.date():
        pytest.skip("a minute after local midnight: no occurrence of today is under way")
    until = (started + timedelta(hours=2)).time()
    pattern = create(
        paris, owner, spot, EVERY_DAY, started.strftime("%H:%M"), until.strftime("%H:%M")
    )
    events = availability_events(paris)
    answer = stop(paris, owner, pattern["id"])
    assert answer["status"] == "stopped"
    ((start, end),) = paris.windows(spot)
    assert start == started and end == started + timedelta(hours=2)
    assert availability_events(paris) - events == HORIZON_DAYS
    # Stopped for good: the run makes nothing more, and stopping again answers it again.
    assert materialise(paris, datetime.now(UTC) + WEEK) == 0
    assert stop(paris, owner, pattern["id"])["status"] == "stopped"
    with pytest.raises(Problem) as refused:
        pause(paris, owner, pattern["id"], now.date(), now.date())
    assert problem_code(refused.value) == "invalid_pattern"


def test_stopping_over_a_booking_is_refused_unless_it_cancels_it(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    parker = paris.user("Parker")
    pattern = create(paris, owner, spot, EVERY_DAY, "08:00", "18:00")
    day = today_in(PARIS) + timedelta(days=5)
    booking = paris.reserve(
        parker, spot, datetime.combine(day, time(8), PARIS), datetime.combine(day, time(18), PARIS)
    )
    with pytest.raises(Problem) as refused:
        stop(paris, owner, pattern["id"])
    assert problem_code(refused.value) == "has_reservations"
    assert stop(paris, owner, pattern["id"], cancel=True)["status"] == "stopped"
    assert paris.reservation(booking["id"])["status"] == "cancelled"
    assert [w for w in paris.windows(spot) if w[0] > datetime.now(UTC)] == []


# --- bookable exactly where the occurrences are ------------------------------------------------


def test_a_booking_fits_inside_an_occurrence_and_not_outside(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    parker = paris.user("Parker")
    create(paris, owner, spot, EVERY_DAY, "08:00", "18:00")
    day = today_in(PARIS) + timedelta(days=4)
    paris.reserve(
        parker, spot, datetime.combine(day, time(8), PARIS), datetime.combine(day, time(18), PARIS)
    )
    for start, end in ((time(7, 30), time(9)), (time(17), time(18, 30)), (time(19), time(20))):
        with pytest.raises(Problem) as refused:
            paris.reserve(
                paris.user("Other"),
                spot,
                datetime.combine(day + timedelta(days=1), start, PARIS),
                datetime.combine(day + timedelta(days=1), end, PARIS),
            )
        assert problem_code(refused.value) == "spot_unavailable"


# --- the rules of a pattern ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weekdays", "from_", "until", "every_weeks", "starts", "ends"),
    [
        ((), "08:00", "18:00", 1, 0, None),
        ((0,), "08:00", "18:00", 1, 0, None),
        ((8,), "08:00", "18:00", 1, 0, None),
        ((1,), "24:00", "18:00", 1, 0, None),
        ((1,), "8:00", "18:00", 1, 0, None),
        ((1,), "08:00", "18:60", 1, 0, None),
        ((1,), "08:00", "18:00", 0, 0, None),
        ((1,), "08:00", "18:00", 5, 0, None),
        ((1,), "08:00", "18:00", None, 0, None),
        ((1,), "08:00", "18:00", 1, -1, None),
        ((1,), "08:00", "18:00", 1, 367, None),
        ((1,), "08:00", "18:00", 1, 3, 2),
        ((1,), "08:00", "18:00", 1, 3, 3 + 367),
    ],
)
def test_values_out_of_range_are_invalid_patterns(
    paris: Garage,
    weekdays: tuple[int, ...],
    from_: str,
    until: str,
    every_weeks: int | None,
    starts: int,
    ends: int | None,
) -> None:
    owner, spot = owner_and_spot(paris)
    today = today_in(PARIS)
    with pytest.raises(Problem) as refused:
        create(
            paris,
            owner,
            spot,
            weekdays,
            from_,
            until,
            every_weeks,
            today + timedelta(days=starts),
            None if ends is None else today + timedelta(days=ends),
        )
    assert problem_code(refused.value) == "invalid_pattern"
    assert paris.windows(spot) == []


def test_ends_on_may_be_366_days_after_starts_on_and_weekdays_are_kept_distinct(
    paris: Garage,
) -> None:
    owner, spot = owner_and_spot(paris)
    start = today_in(PARIS) + timedelta(days=1)
    pattern = create(
        paris, owner, spot, (5, 1, 5), "08:00", "09:00", 4, start, start + timedelta(days=366)
    )
    assert pattern["weekdays"] == [1, 5] and pattern["every_weeks"] == 4


def test_a_spot_has_at_most_twenty_active_patterns(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    made = [create(paris, owner, spot, (1,), f"{h:02}:00", f"{h:02}:30") for h in range(20)]
    with pytest.raises(Problem) as refused:
        create(paris, owner, spot, (2,), "21:00", "22:00")
    assert problem_code(refused.value) == "invalid_pattern"
    stop(paris, owner, made[0]["id"])
    create(paris, owner, spot, (2,), "21:00", "22:00")
    # The limit is per spot.
    create(paris, owner, paris.spot(owner), (2,), "21:00", "22:00")


def test_only_the_owner_shares_a_spot(paris: Garage) -> None:
    _owner, spot = owner_and_spot(paris)
    other = paris.user("Other")
    with pytest.raises(Problem) as refused:
        create(paris, other, spot, (1,), "08:00", "18:00")
    assert problem_code(refused.value) == "not_owner"
    with pytest.raises(Problem) as refused:
        create(paris, other, UUID(int=7), (1,), "08:00", "18:00")
    assert problem_code(refused.value) == "spot_not_found"


def test_another_residents_pattern_is_not_found_and_not_seen(
    paris: Garage, api_database: TestDb
) -> None:
    owner, spot = owner_and_spot(paris)
    other = paris.user("Other")
    pattern = create(paris, owner, spot, (1,), "08:00", "18:00")
    day = today_in(PARIS) + timedelta(days=1)
    for who in (other, paris.admin_id):
        with pytest.raises(Problem) as refused:
            pause(paris, who, pattern["id"], day, day)
        assert problem_code(refused.value) == "pattern_not_found"
        with pytest.raises(Problem) as refused:
            stop(paris, who, pattern["id"])
        assert problem_code(refused.value) == "pattern_not_found"
    # The application role reads its own patterns and pauses only; the admin sees none.
    pause(paris, owner, pattern["id"], day, day)
    for who, seen in ((owner, 1), (other, 0), (paris.admin_id, 0)):
        for table in ("patterns", "pattern_pauses"):
            (row,) = paris.call(who, f"SELECT count(*) AS n FROM parkshare.{table}")
            assert row["n"] == seen, (table, who)
    # Another building's resident finds nothing of it either.
    elsewhere = Garage.create(api_database)
    try:
        stranger = elsewhere.user("Stranger")
        with pytest.raises(Problem) as refused:
            stop(elsewhere, stranger, pattern["id"])
        assert problem_code(refused.value) == "pattern_not_found"
    finally:
        elsewhere.close()


def test_the_occurrence_record_is_not_readable_by_the_app(paris: Garage) -> None:
    with pytest.raises(Problem) as refused:
        paris.call(paris.admin_id, "SELECT * FROM parkshare.pattern_occurrences")
    assert problem_code(refused.value) == "forbidden"


def test_a_pause_must_end_after_it_starts_and_not_in_the_past(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    pattern = create(paris, owner, spot, (1,), "08:00", "18:00")
    today = today_in(PARIS)
    for start, end in (
        (today + timedelta(days=2), today + timedelta(days=1)),
        (today - timedelta(days=3), today - timedelta(days=1)),
        (today, today + timedelta(days=367)),
    ):
        with pytest.raises(Problem) as refused:
            pause(paris, owner, pattern["id"], start, end)
        assert problem_code(refused.value) == "invalid_pattern"


def test_the_garage_summary_is_for_every_resident(paris: Garage) -> None:
    owner, spot = owner_and_spot(paris)
    create(paris, owner, spot, (1, 2, 3, 4, 5), "08:00", "18:00")
    later = today_in(PARIS) + timedelta(days=10)
    create(paris, owner, spot, (6,), "22:00", "06:00", 2, later, later + timedelta(days=60))
    other = paris.user("Other")
    (row,) = paris.call(
        other, "SELECT * FROM parkshare.recurring_summaries(%s)", ([spot, UUID(int=1)],)
    )
    assert row["summary"] == (
        "Free weekdays 08:00\u201318:00; Sat every 2 weeks 22:00\u201306:00"
        f" from {later.isoformat()} until {(later + timedelta(days=60)).isoformat()}"
    )


def test_the_patterns_table_refuses_what_the_contract_does_not_allow(paris: Garage) -> None:
    """The constraints hold even for a write that bypasses the procedures."""
    owner, spot = owner_and_spot(paris)
    with admin_connect(paris.db.admin_url) as admin:
        for weekdays, every in (([0], 1), ([1], 5)):
            with pytest.raises(psycopg.errors.CheckViolation), admin.transaction():
                admin.execute(
                    "INSERT INTO parkshare.patterns (building_id, spot_id, owner_id, weekdays,"
                    " from_time, until_time, every_weeks, starts_on, materialised_through)"
                    " VALUES (%s, %s, %s, %s, '08:00', '09:00', %s, current_date,"
                    " current_date)",
                    (paris.building_id, spot, owner, weekdays, every),
                )
