"""Reminders as data: a booking's start and end reminders are written with it for times
still to come, move with the parker's lead time, go with a cancellation, and are fired by the
worker's procedure once each, to the parker alone, or dropped when they come too late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.support import HOUR, Garage, next_hour, now

PARIS = ZoneInfo("Europe/Paris")
REMIND = "SELECT parkshare.remind_due() AS n"
STARTS, ENDS = "booking.starts_soon", "booking.ends_soon"


@pytest.fixture
def g(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database, timezone="Europe/Paris")
    yield built
    built.close()


def reminders(garage: Garage) -> dict[str, datetime]:
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT kind, due_at FROM parkshare.reminders WHERE building_id = %s",
            (garage.building_id,),
        ).fetchall()
    return {r["kind"]: r["due_at"] for r in rows}


def told(garage: Garage, kind: str) -> list[dict[str, Any]]:
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT * FROM parkshare.notifications WHERE building_id = %s AND kind = %s",
            (garage.building_id, kind),
        ).fetchall()
    return [dict(r) for r in rows]


def remind(garage: Garage) -> int:
    """Fire what is due, in every building as the worker does, and answer how many reminders
    went to this garage's residents: the session's database holds other tests' bookings,
    whose reminders fall due as the clock turns (a suite crossing hh:45 fired dozens)."""

    def sent() -> int:
        return len(told(garage, STARTS)) + len(told(garage, ENDS))

    before = sent()
    fired = int(garage.system(REMIND)["n"])
    mine = sent() - before
    assert fired >= mine
    return mine


def prefer(garage: Garage, user: UUID, minutes: int) -> None:
    garage.one(
        user, "SELECT parkshare.set_notification_preferences(NULL, %s, NULL) AS p", (minutes,)
    )


def until(moment: datetime) -> timedelta:
    """How far to travel for `moment` to be now (give or take the test's own run time)."""
    return moment - now()


def book(
    garage: Garage, hours_ahead: int = 24, hours: int = 2, parker: UUID | None = None
) -> tuple[UUID, UUID, datetime, datetime]:
    """A booking `hours_ahead` from the next hour: (parker, reservation, start, end)."""
    owner = garage.user("Olga")
    parker = parker or garage.user("Paul")
    spot = garage.spot(owner)
    start = next_hour(hours_ahead)
    garage.offer(owner, spot, start, start + hours * HOUR)
    res = garage.reserve(parker, spot, start, start + hours * HOUR)
    return parker, res["id"], start, start + hours * HOUR


def test_a_booking_is_written_with_its_two_reminders(g: Garage) -> None:
    _, _, start, end = book(g)
    assert reminders(g) == {
        STARTS: start - timedelta(minutes=15),
        ENDS: end - timedelta(minutes=10),
    }


def test_the_parkers_lead_time_sets_the_start_reminder(g: Garage) -> None:
    paul = g.user("Paul")
    prefer(g, paul, 90)
    _, _, start, _ = book(g, parker=paul)
    assert reminders(g)[STARTS] == start - timedelta(minutes=90)


def test_a_booking_made_after_its_reminder_time_gets_none(g: Garage) -> None:
    paul = g.user("Paul")
    prefer(g, paul, 1440)
    _, _, _, end = book(g, hours_ahead=2, parker=paul)
    assert reminders(g) == {ENDS: end - timedelta(minutes=10)}


def test_a_short_booking_is_not_told_it_ends_before_it_begins(g: Garage) -> None:
    owner, paul = g.user("Olga"), g.user("Paul")
    spot = g.spot(owner)
    start = next_hour(24)
    g.offer(owner, spot, start, start + HOUR)
    g.reserve(paul, spot, start, start + timedelta(minutes=10))
    assert set(reminders(g)) == {STARTS}


def test_nothing_fires_before_its_time_then_each_once_to_the_parker(g: Garage) -> None:
    paul, res, start, _ = book(g)
    assert remind(g) == 0
    travelled = until(start - timedelta(minutes=13))
    g.travel(travelled)
    assert remind(g) == 1
    assert remind(g) == 0
    [note] = told(g, STARTS)
    assert note["user_id"] == paul
    assert note["data"]["reservation_id"] == str(res)
    # The window moved into the past by as much: its start is now that much earlier.
    local = (start - travelled).astimezone(PARIS).strftime("%H:%M")
    assert note["title"] == f"Starts at {local}"
    assert set(reminders(g)) == {ENDS}
    # Announced live to the parker only.
    created = [e for e in g.outbox("notification.created") if e["user_id"] == paul]
    assert [e["data"]["notification"]["kind"] for e in created][-1] == STARTS
    assert all(
        e["user_id"] == paul
        for e in g.outbox("notification.created")
        if e["data"]["notification"]["kind"] == STARTS
    )


def test_the_end_reminder_fires_ten_minutes_before_the_end(g: Garage) -> None:
    _, _, _, end = book(g, hours=2)
    first = until(end - timedelta(minutes=15))
    g.travel(first)
    assert remind(g) == 0  # the start's came too late to mean anything: dropped unsaid
    assert told(g, STARTS) == []
    assert told(g, ENDS) == []
    g.travel(timedelta(minutes=6))
    assert remind(g) == 1
    [note] = told(g, ENDS)
    moved_end = end - first - timedelta(minutes=6)
    assert note["title"] == f"Ends at {moved_end.astimezone(PARIS).strftime('%H:%M')}"
    assert reminders(g) == {}


def test_a_cancelled_booking_reminds_nobody(g: Garage) -> None:
    paul, res, _, _ = book(g)
    g.cancel(paul, res)
    assert reminders(g) == {}
    g.travel(until(next_hour(24)))
    assert remind(g) == 0
    assert told(g, STARTS) == []


def test_a_new_lead_time_moves_what_is_still_to_come(g: Garage) -> None:
    paul, _, start, _ = book(g)
    prefer(g, paul, 60)
    assert reminders(g)[STARTS] == start - timedelta(minutes=60)
    # A lead time whose moment has passed drops the reminder, as for a late booking.
    prefer(g, paul, 1440)
    assert set(reminders(g)) == {ENDS}
    # And shortening it again does not bring it back: its moment was passed over.
    prefer(g, paul, 15)
    assert set(reminders(g)) == {ENDS}


def test_the_worker_wakes_for_the_first_reminder(g: Garage) -> None:
    _, res, start, _ = book(g)
    # (Other tests' buildings share the database: theirs may come sooner.)
    assert g.system("SELECT parkshare.next_moment() AS at")["at"] <= start - timedelta(minutes=15)
    first = g.system("SELECT parkshare.first_reminder(%s, %s) AS at", (g.building_id, [res]))["at"]
    assert first == start - timedelta(minutes=15)


def test_only_the_worker_touches_reminders(g: Garage) -> None:
    paul, _, _, _ = book(g)
    # Not even readable by the application's role: the procedures own them.
    for query in ("SELECT * FROM parkshare.reminders", REMIND):
        with pytest.raises(Problem) as refused:
            g.call(paul, query)
        assert refused.value.code == "forbidden"


def test_a_lead_time_of_zero_turns_the_start_reminder_off(g: Garage) -> None:
    paul = g.user("Paul")
    prefer(g, paul, 0)
    book(g, parker=paul)
    assert set(reminders(g)) == {ENDS}
    prefer(g, paul, 30)  # later bookings have one again; this one's was never written
    pia, _, _, _ = book(g, hours_ahead=30, parker=g.user("Pia"))
    assert set(reminders(g)) == {STARTS, ENDS}
    prefer(g, pia, 0)
    assert set(reminders(g)) == {ENDS}
