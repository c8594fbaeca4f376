"""Check-in and no-shows in PostgreSQL (SPEC "When demand exceeds supply"): the check-in window
(15 minutes before the start until start + grace), once; a booking nobody checked in to
becomes a no-show when the window closes, paying the owner the share it was booked with and
the parker the rest back, exactly once however often (or however concurrently) the worker
runs; the rest of its window serves waiting requests; the policy applies to later bookings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.sql.test_race import Racer, assert_ledger_holds, race
from tests.support import HOUR, Garage, next_hour, now

CHECKIN = "SELECT * FROM parkshare.checkin(%s)"
NO_SHOWS = "SELECT parkshare.mark_no_shows() AS n"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def g(database: TestDb) -> Iterator[Garage]:
    built = Garage.create(database, checkin_grace_minutes=10, no_show_owner_share=1)
    yield built
    built.close()


def booked(g: Garage, hours_ahead: int = 2, length: timedelta = 2 * HOUR) -> tuple[Any, ...]:
    owner, parker = g.user("Owner"), g.user("Parker")
    spot = g.spot(owner)
    start = next_hour(hours_ahead)
    g.offer(owner, spot, start, start + 4 * HOUR)
    res = g.reserve(parker, spot, start, start + length)
    return owner, parker, spot, start, res


def travel_to(g: Garage, start: object, offset: timedelta) -> None:
    """Let time pass until `offset` from `start` (the booking's start as it was booked)."""
    assert isinstance(start, type(now()))
    g.travel(start - now() + offset)


def code_of(g: Garage, user: UUID | None, query: str, params: tuple[Any, ...]) -> str:
    with pytest.raises(Problem) as caught:
        g.call(user, query, params)
    return caught.value.code


def test_check_in_opens_15_minutes_before_and_closes_at_the_grace(g: Garage) -> None:
    owner, parker, _, start, res = booked(g)
    assert res["checkin_until"] == start + 10 * MINUTE
    assert code_of(g, parker, CHECKIN, (res["id"],)) == "checkin_closed"
    assert code_of(g, owner, CHECKIN, (res["id"],)) == "not_yours"
    assert code_of(g, parker, CHECKIN, (owner,)) == "reservation_not_found"

    travel_to(g, start, -14 * MINUTE)
    first = g.one(parker, CHECKIN, (res["id"],))
    assert first["checked_in_at"] is not None
    again = g.one(parker, CHECKIN, (res["id"],))
    assert again["checked_in_at"] == first["checked_in_at"]
    assert [e["data"]["reservation"]["id"] for e in g.outbox("reservation.checked_in")] == [
        str(res["id"])
    ]
    # Checked in: no no-show, and the owner is paid in full at the end.
    g.travel(3 * HOUR)
    assert g.system(NO_SHOWS)["n"] == 0
    assert g.settle() == 1
    assert g.reservation(res["id"])["status"] == "settled"
    assert g.balance(owner) == 53
    assert_ledger_holds(g)


def test_after_the_grace_it_is_too_late_to_check_in(g: Garage) -> None:
    _, parker, _, start, res = booked(g)
    travel_to(g, start, 11 * MINUTE)
    assert code_of(g, parker, CHECKIN, (res["id"],)) == "checkin_closed"


def test_a_no_show_pays_the_owner_its_share_and_refunds_the_rest_once(g: Garage) -> None:
    owner, parker, _, start, res = booked(g)
    assert g.balance(parker) == 47
    travel_to(g, start, 5 * MINUTE)
    assert g.system(NO_SHOWS)["n"] == 0

    g.travel(6 * MINUTE)
    assert g.system(NO_SHOWS)["n"] == 1
    assert g.system(NO_SHOWS)["n"] == 0

    after = g.reservation(res["id"])
    assert after["status"] == "no_show"
    assert after["no_show_at"] is not None
    assert g.balance(owner) == 51
    assert g.balance(parker) == 49
    kinds = g.call(
        g.admin_id,
        "SELECT kind, amount FROM parkshare.ledger_entries WHERE reservation_id = %s ORDER BY id",
        (res["id"],),
    )
    assert [(k["kind"], k["amount"]) for k in kinds] == [
        ("hold", 3),
        ("no_show_payout", 1),
        ("no_show_refund", 2),
    ]
    # Read past row-level security: each resident reads only their own notifications.
    with admin_connect(g.db.admin_url) as admin:
        told = admin.execute(
            "SELECT user_id FROM parkshare.notifications WHERE kind = 'reservation.no_show'"
            " AND building_id = %s",
            (g.building_id,),
        ).fetchall()
    assert sorted(t["user_id"] for t in told) == sorted([owner, parker])
    assert len(g.outbox("reservation.no_show")) == 1
    # Its end passes: nothing more is paid.
    g.travel(3 * HOUR)
    assert g.settle() == 0
    assert g.balance(owner) == 51
    assert_ledger_holds(g)


def test_the_worker_racing_itself_makes_one_no_show(g: Garage, database: TestDb) -> None:
    owner, parker, _, start, _res = booked(g)
    travel_to(g, start, 11 * MINUTE)

    outcomes = race(
        database, g.building_id, [Racer(None, NO_SHOWS, in_building=False) for _ in range(6)]
    )

    assert sum(o[0]["n"] for o in outcomes if not isinstance(o, Problem)) == 1
    assert g.balance(owner) == 51
    assert g.balance(parker) == 49
    assert_ledger_holds(g)


def test_the_rest_of_a_no_show_serves_a_waiting_request(g: Garage) -> None:
    _owner, _parker, spot, start, _res = booked(g)
    waiting = g.user("Waiting")
    made = g.one(
        waiting, "SELECT parkshare.make_request(%s, %s) AS r", (start + HOUR, start + 2 * HOUR)
    )["r"]
    assert made["status"] == "waiting"

    travel_to(g, start, 11 * MINUTE)
    assert g.system(NO_SHOWS)["n"] == 1

    with admin_connect(g.db.admin_url) as admin:
        status = admin.execute(
            "SELECT status, reservation_id FROM parkshare.requests WHERE id = %s", (made["id"],)
        ).fetchone()
    assert status is not None
    assert status["status"] == "matched"
    assert g.reservation(status["reservation_id"])["spot_id"] == spot
    assert_ledger_holds(g)


def test_the_policy_applies_to_bookings_made_after_it(database: TestDb) -> None:
    g = Garage.create(database)
    try:
        _owner, parker, spot, start, before = booked(g)
        assert before["checkin_until"] is None
        policy = g.one(
            g.admin_id, "SELECT parkshare.set_policy_v2(NULL, NULL, NULL, NULL, 15, 2) AS p"
        )["p"]
        assert (policy["checkin_grace_minutes"], policy["no_show_owner_share"]) == (15, 2)
        after = g.reserve(parker, spot, start + 2 * HOUR, start + 3 * HOUR)
        assert after["checkin_until"] == start + 2 * HOUR + 15 * MINUTE
        assert after["no_show_share"] == 2
        assert g.reservation(before["id"])["checkin_until"] is None
    finally:
        g.close()


def test_the_owner_share_is_at_most_the_cost(g: Garage) -> None:
    assert (
        code_of(
            g, g.admin_id, "SELECT parkshare.set_policy_v2(NULL, NULL, NULL, NULL, NULL, 4)", ()
        )
        == "invalid_request"
    )
    assert (
        code_of(
            g, g.admin_id, "SELECT parkshare.set_policy_v2(NULL, NULL, NULL, NULL, 121, NULL)", ()
        )
        == "invalid_request"
    )
    # Lowering the cost below the share is refused too, until the share comes down with it.
    assert (
        code_of(
            g, g.admin_id, "SELECT parkshare.set_policy_v2(0, NULL, NULL, NULL, NULL, NULL)", ()
        )
        == "invalid_request"
    )
    free = g.one(g.admin_id, "SELECT parkshare.set_policy_v2(0, NULL, NULL, NULL, NULL, 0) AS p")
    assert (free["p"]["cost"], free["p"]["no_show_owner_share"]) == (0, 0)


def test_a_booking_shorter_than_the_grace_closes_its_check_in_at_its_end(
    database: TestDb,
) -> None:
    g = Garage.create(database, checkin_grace_minutes=120)
    try:
        _, _, _, start, res = booked(g, length=HOUR)
        assert res["checkin_until"] == start + HOUR
    finally:
        g.close()


def test_without_check_in_there_is_no_no_show(database: TestDb) -> None:
    g = Garage.create(database)
    try:
        owner, parker, _, start, res = booked(g)
        assert code_of(g, parker, CHECKIN, (res["id"],)) == "checkin_closed"
        travel_to(g, start, 3 * HOUR)
        assert g.system(NO_SHOWS)["n"] == 0
        assert g.settle() == 1
        assert g.balance(owner) == 53
    finally:
        g.close()
