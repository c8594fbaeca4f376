"""Requests in PostgreSQL (SPEC "When demand exceeds supply"): booked at once on the best-fitting
free spot, else waiting; matched when a window opens in the fairness order (fewest requests
matched in the last 28 days, then the earliest), under every rule of `reserve`; withdrawn,
expired, limited to five waiting; and matched race-free when windows open at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.sql.test_race import Racer, assert_ledger_holds, codes, race, successes
from tests.support import HOUR, Garage, next_hour

REQUEST = "SELECT parkshare.make_request(%s, %s) AS r"
WITHDRAW = "SELECT parkshare.withdraw_request(%s) AS r"
EXPIRE = "SELECT parkshare.expire_requests() AS n"
OFFER = "SELECT * FROM parkshare.set_availability(%s, %s, %s, true, false)"


def ask(g: Garage, user: UUID, start: datetime, end: datetime) -> dict[str, Any]:
    answer: dict[str, Any] = g.one(user, REQUEST, (start, end))["r"]
    return answer


def request_row(g: Garage, request_id: str) -> dict[str, Any]:
    with admin_connect(g.db.admin_url) as admin:
        row = admin.execute("SELECT * FROM parkshare.requests WHERE id = %s", (request_id,))
        found = row.fetchone()
    assert found is not None
    return dict(found)


def ahead(g: Garage, user: UUID, request_id: str) -> int | None:
    """What GET /fn/request tells `user` of their request's place in the queue."""
    mine = g.one(user, "SELECT parkshare.my_requests() AS r")["r"]["requests"]
    found = [r for r in mine if r["id"] == request_id]
    assert len(found) == 1
    place: int | None = found[0].get("ahead")
    return place


def refused(g: Garage, user: UUID, query: str, params: tuple[Any, ...]) -> str:
    with pytest.raises(Problem) as caught:
        g.call(user, query, params)
    return caught.value.code


def test_a_free_spot_is_booked_at_once_choosing_the_tightest_fit(garage: Garage) -> None:
    g = garage
    alice, bob, parker = g.user("Alice"), g.user("Bob"), g.user("Parker")
    roomy, snug = g.spot(alice, "A-01"), g.spot(bob, "B-01")
    start = next_hour(3)
    g.offer(alice, roomy, start - 3 * HOUR, start + 8 * HOUR)
    g.offer(bob, snug, start - HOUR, start + 2 * HOUR)

    made = ask(g, parker, start, start + HOUR)

    assert made["status"] == "matched"
    booking = g.reservation(UUID(made["reservation_id"]))
    # Three free hours around the window on B-01 against ten on A-01.
    assert booking["spot_id"] == snug
    assert booking["user_id"] == parker
    assert g.balance(parker) == 47
    matched = g.outbox("request.matched")
    assert [e["user_id"] for e in matched] == [parker]
    assert_ledger_holds(g)


def test_a_request_waits_and_a_new_window_books_it_for_its_user_alone(garage: Garage) -> None:
    g = garage
    owner, parker = g.user("Owner"), g.user("Parker")
    spot = g.spot(owner)
    start = next_hour(4)

    made = ask(g, parker, start, start + 2 * HOUR)
    assert made["status"] == "waiting"
    assert made["reservation_id"] is None
    assert g.balance(parker) == 50

    # A window that only covers part of it serves nobody.
    g.offer(owner, spot, start, start + HOUR)
    assert request_row(g, made["id"])["status"] == "waiting"
    # Extended to cover it: the merged window serves it.
    g.offer(owner, spot, start + HOUR, start + 3 * HOUR)

    row = request_row(g, made["id"])
    assert row["status"] == "matched"
    booking = g.reservation(row["reservation_id"])
    assert (booking["spot_id"], booking["user_id"]) == (spot, parker)
    assert g.balance(parker) == 47
    events = g.outbox("request.matched")
    assert len(events) == 1
    assert events[0]["user_id"] == parker
    assert events[0]["data"]["request"]["status"] == "matched"
    assert events[0]["data"]["reservation"]["id"] == str(booking["id"])
    kinds = g.call(parker, "SELECT kind FROM parkshare.notifications WHERE user_id = %s", (parker,))
    assert [k["kind"] for k in kinds] == ["request.matched"]
    assert_ledger_holds(g)


def test_a_cancellation_reopens_the_window_for_the_waiting(garage: Garage) -> None:
    g = garage
    owner, first, second = g.user("Owner"), g.user("First"), g.user("Second")
    spot = g.spot(owner)
    start = next_hour(5)
    g.offer(owner, spot, start, start + 2 * HOUR)
    booked = g.reserve(first, spot, start, start + 2 * HOUR)
    waiting = ask(g, second, start, start + HOUR)
    assert waiting["status"] == "waiting"

    g.cancel(first, booked["id"])

    row = request_row(g, waiting["id"])
    assert row["status"] == "matched"
    assert g.reservation(row["reservation_id"])["user_id"] == second
    assert_ledger_holds(g)


def test_windows_serve_the_least_served_first_then_the_earliest(garage: Garage) -> None:
    g = garage
    owners = [g.user(f"Owner{i}") for i in range(4)]
    spots = [g.spot(o) for o in owners]
    served, early, late = g.user("Served"), g.user("Early"), g.user("Late")
    start = next_hour(6)
    # `served` had a request matched this week (at once, on the first spot).
    g.offer(owners[0], spots[0], start - 4 * HOUR, start - 2 * HOUR)
    assert ask(g, served, start - 4 * HOUR, start - 3 * HOUR)["status"] == "matched"

    window = (start, start + HOUR)
    ids = {who: ask(g, who, *window)["id"] for who in (served, early, late)}
    assert {request_row(g, i)["status"] for i in ids.values()} == {"waiting"}
    # Each is told its place in that order before any window opens.
    assert [ahead(g, who, ids[who]) for who in (early, late, served)] == [0, 1, 2]

    order = []
    for owner, spot in zip(owners[1:], spots[1:], strict=True):
        g.offer(owner, spot, *window)
        newly = [
            who
            for who, i in ids.items()
            if request_row(g, i)["status"] == "matched" and who not in order
        ]
        assert len(newly) == 1
        order += newly
    # `served` asked first, but was served lately; of the others the earlier asked first.
    assert order == [early, late, served]
    # A request that no longer waits has no place in a queue.
    assert ahead(g, early, ids[early]) is None


def test_a_request_that_cannot_be_booked_when_its_window_opens_is_passed_over(
    garage: Garage,
) -> None:
    g = garage
    owner, broke, next_in_line = g.user("Owner"), g.user("Broke"), g.user("Next")
    spot = g.spot(owner)
    start = next_hour(3)
    first = ask(g, broke, start, start + HOUR)
    second = ask(g, next_in_line, start, start + HOUR)
    # Broke's credits are gone meanwhile (an admin's adjustment).
    g.grant(broke, -50)

    g.offer(owner, spot, start, start + HOUR)

    assert request_row(g, first["id"])["status"] == "waiting"
    assert request_row(g, second["id"])["status"] == "matched"
    assert g.balance(broke) == 0
    assert_ledger_holds(g)


def test_what_reserve_would_refuse_is_refused_when_asking(garage: Garage) -> None:
    g = garage
    owner, parker = g.user("Owner"), g.user("Parker")
    spot = g.spot(owner)
    start = next_hour(3)
    g.offer(owner, spot, start, start + 2 * HOUR)
    g.reserve(parker, spot, start, start + HOUR)

    assert refused(g, parker, REQUEST, (start + HOUR / 2, start + 2 * HOUR)) == (
        "overlapping_reservation"
    )
    assert refused(g, parker, REQUEST, (start + 2 * HOUR, start + HOUR)) == "invalid_window"
    assert refused(g, parker, REQUEST, (start - 30 * HOUR, start - 29 * HOUR)) == "invalid_window"
    # Longer than the policy's maximum (24 h by default).
    assert refused(g, parker, REQUEST, (start, start + 25 * HOUR)) == "invalid_window"

    poor = g.user("Poor")
    g.grant(poor, -49)
    assert refused(g, poor, REQUEST, (start + 3 * HOUR, start + 4 * HOUR)) == (
        "insufficient_credits"
    )


def test_a_resident_holds_five_waiting_requests_that_do_not_overlap(garage: Garage) -> None:
    g = garage
    parker = g.user("Parker")
    start = next_hour(2)
    waiting = [ask(g, parker, start + i * 2 * HOUR, start + (i * 2 + 1) * HOUR) for i in range(5)]
    assert {w["status"] for w in waiting} == {"waiting"}

    assert refused(g, parker, REQUEST, (start + 20 * HOUR, start + 21 * HOUR)) == (
        "too_many_requests"
    )
    # Withdrawing one makes room, but not for one overlapping another that waits.
    g.one(parker, WITHDRAW, (waiting[0]["id"],))
    assert refused(g, parker, REQUEST, (start + 2 * HOUR, start + 3 * HOUR)) == (
        "overlapping_reservation"
    )
    assert ask(g, parker, start + 20 * HOUR, start + 21 * HOUR)["status"] == "waiting"


def test_withdrawing_is_for_its_own_waiting_requests_and_ends_matching(garage: Garage) -> None:
    g = garage
    owner, parker, other = g.user("Owner"), g.user("Parker"), g.user("Other")
    spot = g.spot(owner)
    start = next_hour(3)
    made = ask(g, parker, start, start + HOUR)

    assert refused(g, other, WITHDRAW, (made["id"],)) == "request_not_found"
    assert g.one(parker, WITHDRAW, (made["id"],))["r"]["status"] == "withdrawn"
    assert refused(g, parker, WITHDRAW, (made["id"],)) == "request_closed"

    g.offer(owner, spot, start, start + HOUR)
    assert request_row(g, made["id"])["status"] == "withdrawn"
    assert g.balance(parker) == 50
    # Nobody but its maker reads a request.
    seen = g.call(other, "SELECT id FROM parkshare.requests")
    assert seen == []


def test_a_waiting_request_expires_at_its_start_once(garage: Garage) -> None:
    g = garage
    parker = g.user("Parker")
    start = next_hour(1)
    made = ask(g, parker, start, start + HOUR)
    later = ask(g, parker, start + 3 * HOUR, start + 4 * HOUR)
    assert g.system(EXPIRE)["n"] == 0

    with admin_connect(g.db.admin_url) as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute(
            "UPDATE parkshare.requests SET period = tstzrange(lower(period) - %s,"
            " upper(period) - %s, '[)') WHERE id = %s",
            (2 * HOUR, 2 * HOUR, made["id"]),
        )
    assert g.system("SELECT parkshare.next_moment() AS at")["at"] <= datetime.now().astimezone()

    assert g.system(EXPIRE)["n"] == 1
    assert g.system(EXPIRE)["n"] == 0
    assert request_row(g, made["id"])["status"] == "expired"
    assert request_row(g, later["id"])["status"] == "waiting"


def test_a_closed_request_never_changes_again(garage: Garage) -> None:
    g = garage
    parker = g.user("Parker")
    start = next_hour(3)
    made = ask(g, parker, start, start + HOUR)
    g.one(parker, WITHDRAW, (made["id"],))
    with admin_connect(g.db.admin_url) as admin, pytest.raises(Exception, match="no longer"):
        admin.execute(
            "UPDATE parkshare.requests SET status = 'waiting', closed_at = NULL WHERE id = %s",
            (made["id"],),
        )


def test_five_windows_opening_at_once_serve_twenty_waiting_in_order(
    garage: Garage, database: TestDb
) -> None:
    g = garage
    owners = [g.user(f"Owner{i}") for i in range(5)]
    spots = [g.spot(o) for o in owners]
    residents = [g.user(f"Resident{i:02}") for i in range(20)]
    start = next_hour(5)
    end = start + 2 * HOUR
    made = [ask(g, r, start, end) for r in residents]
    assert {m["status"] for m in made} == {"waiting"}

    outcomes = race(
        database,
        g.building_id,
        [
            Racer(o, OFFER, (s, start - HOUR, end + HOUR))
            for o, s in zip(owners, spots, strict=True)
        ],
    )

    assert codes(outcomes) == []
    assert len(successes(outcomes)) == 5
    rows = [request_row(g, m["id"]) for m in made]
    matched = [i for i, row in enumerate(rows) if row["status"] == "matched"]
    # Nobody served before: the five who asked first, each on a spot of their own.
    assert matched == [0, 1, 2, 3, 4]
    bookings = [g.reservation(rows[i]["reservation_id"]) for i in matched]
    assert sorted(b["spot_id"] for b in bookings) == sorted(spots)
    assert [b["user_id"] for b in bookings] == residents[:5]
    assert len(g.outbox("request.matched")) == 5
    for r in residents[5:]:
        assert g.balance(r) == 50
    assert_ledger_holds(g)


def test_a_withdrawal_racing_a_window_leaves_one_outcome(garage: Garage, database: TestDb) -> None:
    g = garage
    for attempt in range(5):
        owner, parker = g.user(f"Owner{attempt}"), g.user(f"Parker{attempt}")
        spot = g.spot(owner)
        start = next_hour(3 + attempt * 3)
        made = ask(g, parker, start, start + HOUR)

        offered, withdrawn = race(
            database,
            g.building_id,
            [
                Racer(owner, OFFER, (spot, start, start + HOUR)),
                Racer(parker, WITHDRAW, (made["id"],)),
            ],
        )

        # The offer always goes through; the request ends withdrawn with no booking, or
        # matched with the withdrawal refused.
        assert not isinstance(offered, Problem), offered
        row = request_row(g, made["id"])
        if isinstance(withdrawn, Problem):
            assert withdrawn.code == "request_closed"
            assert row["status"] == "matched"
            assert g.balance(parker) == 47
        else:
            assert row["status"] == "withdrawn"
            assert g.balance(parker) == 50
    assert_ledger_holds(g)


def test_disabling_a_resident_frees_their_bookings_for_the_waiting_and_ends_their_requests(
    garage: Garage,
) -> None:
    g = garage
    owner, leaving, waiting_one = g.user("Owner"), g.user("Leaving"), g.user("Waiting")
    spot = g.spot(owner)
    start = next_hour(6)
    g.offer(owner, spot, start, start + 2 * HOUR)
    held = g.reserve(leaving, spot, start, start + 2 * HOUR)
    theirs = ask(g, leaving, start + 4 * HOUR, start + 5 * HOUR)
    queued = ask(g, waiting_one, start, start + HOUR)
    assert (theirs["status"], queued["status"]) == ("waiting", "waiting")

    g.one(g.admin_id, "SELECT parkshare.disable_user(%s) AS s", (leaving,))

    assert g.reservation(UUID(str(held["id"])))["status"] == "cancelled"
    row = request_row(g, queued["id"])
    assert row["status"] == "matched"
    assert g.reservation(row["reservation_id"])["user_id"] == waiting_one
    assert request_row(g, theirs["id"])["status"] == "withdrawn"
    assert_ledger_holds(g)
