"""Real parallel connections racing through the procedures (SPEC rules 1, 2, 8, 9 and 11).

Every racer opens its own connection as the application role, starts its transaction with
its tenant context, and waits at a barrier inside it; the barrier releases them together, so
the procedures meet each other mid-transaction as concurrent requests would.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import DictRow

from parkshare.problems import Problem, db_errors
from parkshare.store.db import admin_connect, app_connect, set_context
from tests.conftest import TestDb
from tests.support import HOUR, Garage, now, start_session

# PostgreSQL's default max_connections is 100: the largest race plus the garage's own
# connection and the servers' bookkeeping stay well below it.
BARRIER_TIMEOUT_SECONDS = 60

Outcome = list[DictRow] | Problem


@dataclass(frozen=True)
class Racer:
    """One concurrent request: who sends it, and the statement it runs."""

    user: UUID | None
    query: str
    params: tuple[Any, ...] = ()
    # False for the settlement cron, which runs with no tenant context at all.
    in_building: bool = True


def race(database: TestDb, building: UUID, racers: list[Racer]) -> list[Outcome]:
    """Runs every racer on its own connection, all released at once; answers in order."""
    connections: list[psycopg.Connection[DictRow]] = []
    try:
        for _ in racers:
            connections.append(app_connect(database.app_url))
        # Each user signed in once, as a login does; the sessions are not what races.
        sessions = {
            r.user: start_session(connections[0], r.user)
            for r in racers
            if r.user is not None and r.in_building
        }
        barrier = threading.Barrier(len(racers), timeout=BARRIER_TIMEOUT_SECONDS)

        def run(index: int) -> Outcome:
            conn, racer = connections[index], racers[index]
            try:
                with db_errors(), conn.transaction():
                    if racer.in_building:
                        session = sessions.get(racer.user) if racer.user else None
                        set_context(conn, building, racer.user, session)
                    else:
                        set_context(conn, None, racer.user)
                    barrier.wait()
                    return conn.execute(racer.query, racer.params).fetchall()
            except Problem as problem:
                return problem

        with ThreadPoolExecutor(max_workers=len(racers)) as pool:
            return list(pool.map(run, range(len(racers))))
    finally:
        for conn in connections:
            conn.close()


def codes(outcomes: list[Outcome]) -> list[str]:
    return sorted(o.code for o in outcomes if isinstance(o, Problem))


def successes(outcomes: list[Outcome]) -> list[DictRow]:
    return [row for o in outcomes if not isinstance(o, Problem) for row in o]


def assert_ledger_holds(garage: Garage) -> None:
    audit = garage.audit()
    assert audit["users"] + audit["escrow"] == audit["grants"], audit
    assert audit["drifted_accounts"] == 0, audit
    assert audit["cached_users"] == audit["users"], audit


def entries(garage: Garage, kind: str) -> list[DictRow]:
    return garage.call(
        garage.admin_id,
        "SELECT reservation_id, amount FROM parkshare.ledger_entries WHERE kind = %s",
        (kind,),
    )


@pytest.fixture
def window() -> tuple[datetime, datetime]:
    start = now().replace(minute=0, second=0, microsecond=0) + 2 * HOUR
    return start, start + 2 * HOUR


RESERVE = "SELECT * FROM parkshare.reserve(%s, %s, %s)"
CANCEL = "SELECT * FROM parkshare.cancel(%s)"
SETTLE = "SELECT parkshare.settle_due() AS settled"


def test_fifty_connections_racing_for_one_spot_book_it_once(
    garage: Garage, database: TestDb, window: tuple[datetime, datetime]
) -> None:
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    start, end = window
    garage.offer(owner, spot, start - HOUR, end + HOUR)
    parkers = [garage.user(f"Parker{i}") for i in range(60)]

    outcomes = race(
        database, garage.building_id, [Racer(p, RESERVE, (spot, start, end)) for p in parkers]
    )

    booked = successes(outcomes)
    assert len(booked) == 1
    assert codes(outcomes) == ["spot_taken"] * 59
    winner = booked[0]["user_id"]
    assert winner == parkers[outcomes.index([booked[0]])]
    for parker in parkers:
        assert garage.balance(parker) == (47 if parker == winner else 50)
    assert garage.audit()["escrow"] == 3
    assert_ledger_holds(garage)


def test_one_user_racing_for_twenty_spots_at_once_books_one(
    garage: Garage, database: TestDb, window: tuple[datetime, datetime]
) -> None:
    owner, parker = garage.user("Owner"), garage.user("Parker")
    start, end = window
    spots = [garage.spot(owner, f"R-{i}") for i in range(20)]
    for spot in spots:
        garage.offer(owner, spot, start, end)

    outcomes = race(
        database, garage.building_id, [Racer(parker, RESERVE, (s, start, end)) for s in spots]
    )

    assert len(successes(outcomes)) == 1
    refused = codes(outcomes)
    # Two inserts that each wait for the other at the exclusion constraint are a deadlock the
    # server breaks by aborting one; the client sees `busy` and retries.
    assert set(refused) <= {"overlapping_reservation", "busy"}, refused
    assert len(refused) == 19
    for spot, outcome in zip(spots, outcomes, strict=True):
        if isinstance(outcome, Problem) and outcome.code == "busy":
            with pytest.raises(Problem) as retried:
                garage.reserve(parker, spot, start, end)
            assert retried.value.code == "overlapping_reservation"
    assert garage.balance(parker) == 47
    booked = garage.call(
        garage.admin_id,
        "SELECT count(*) AS n FROM parkshare.reservations WHERE user_id = %s",
        (parker,),
    )
    assert booked[0]["n"] == 1
    assert_ledger_holds(garage)


def test_thirty_connections_cancelling_one_reservation_refund_it_once(
    garage: Garage, database: TestDb, window: tuple[datetime, datetime]
) -> None:
    owner, parker = garage.user("Owner"), garage.user("Parker")
    spot = garage.spot(owner)
    start, end = window
    garage.offer(owner, spot, start, end)
    booking = garage.reserve(parker, spot, start, end)["id"]
    assert garage.balance(parker) == 47

    # The parker and the spot's owner both cancel, from many tabs at once (rule 8).
    racers = [Racer(parker if i % 2 else owner, CANCEL, (booking,)) for i in range(30)]
    outcomes = race(database, garage.building_id, racers)

    assert codes(outcomes) == []
    assert [row["status"] for row in successes(outcomes)] == ["cancelled"] * 30
    refunds = entries(garage, "refund")
    assert [(r["reservation_id"], r["amount"]) for r in refunds] == [(booking, 3)]
    assert garage.balance(parker) == 50
    assert garage.balance(owner) == 50
    assert garage.reservation(booking)["cancelled_by"] in (parker, owner)
    assert garage.audit()["escrow"] == 0
    assert_ledger_holds(garage)
    with admin_connect(database.admin_url) as admin:
        events = admin.execute(
            "SELECT count(*) AS n FROM parkshare.outbox"
            " WHERE type = 'reservation.cancelled' AND data->'reservation'->>'id' = %s",
            (str(booking),),
        ).fetchone()
    assert events is not None
    assert events["n"] == 1, "one cancellation, one event"


def test_settlement_on_eight_connections_pays_each_reservation_once(
    garage: Garage, database: TestDb
) -> None:
    owners = [garage.user(f"Owner{i}") for i in range(2)]
    spots = [garage.spot(owners[i % 2], f"S-{i}") for i in range(4)]
    parkers = [garage.user(f"Parker{i}") for i in range(6)]
    start = now() + timedelta(minutes=30)
    for spot, owner in zip(spots, owners * 2, strict=True):
        garage.offer(owner, spot, start, start + 24 * HOUR)
    due: list[UUID] = []
    for hour in range(3):
        for index, parker in enumerate(parkers[:4]):
            spot = spots[(index + hour) % 4]
            row = garage.reserve(parker, spot, start + hour * HOUR, start + (hour + 1) * HOUR)
            due.append(row["id"])
    later = [
        garage.reserve(p, spots[i], start + 20 * HOUR, start + 21 * HOUR)["id"]
        for i, p in enumerate(parkers[4:])
    ]
    garage.travel(5 * HOUR)

    # The cron source (no tenant context) and admins of the building, all at once.
    racers = [
        Racer(None, SETTLE, in_building=False) if i % 2 else Racer(garage.admin_id, SETTLE)
        for i in range(8)
    ]
    outcomes = race(database, garage.building_id, racers)

    assert codes(outcomes) == []
    assert sum(row["settled"] for row in successes(outcomes)) == len(due)
    payouts = entries(garage, "payout")
    assert sorted(str(p["reservation_id"]) for p in payouts) == sorted(str(d) for d in due)
    assert all(p["amount"] == 3 for p in payouts)
    paid = {owner: 0 for owner in owners}
    for reservation in due:
        row = garage.reservation(reservation)
        assert row["status"] == "settled"
        paid[row["owner_id"]] += 3
    for owner in owners:
        assert garage.balance(owner) == 50 + paid[owner]
    assert [garage.reservation(r)["status"] for r in later] == ["booked"] * len(later)
    assert garage.settle() == 0
    assert garage.audit()["escrow"] == 3 * len(later)
    assert_ledger_holds(garage)


@pytest.mark.parametrize("cancel", [False, True], ids=["keep", "cancel"])
def test_withdrawing_while_residents_book_never_strands_a_booking(
    garage: Garage, database: TestDb, cancel: bool
) -> None:
    owner = garage.user("Owner")
    spot = garage.spot(owner)
    start = now().replace(minute=0, second=0, microsecond=0) + 2 * HOUR
    garage.offer(owner, spot, start, start + 10 * HOUR)
    parkers = [garage.user(f"Parker{i}") for i in range(10)]
    withdraw = "SELECT * FROM parkshare.set_availability(%s, %s, %s, false, %s)"

    racers = [Racer(owner, withdraw, (spot, start, start + 10 * HOUR, cancel))] + [
        Racer(p, RESERVE, (spot, start + i * HOUR, start + (i + 1) * HOUR))
        for i, p in enumerate(parkers)
    ]
    withdrawn, *bookings = race(database, garage.building_id, racers)

    booked = successes(bookings)
    # Rule 10 either way: the withdrawal waits for the bookings already made and then cancels
    # them or refuses; a booking that comes after it finds the spot no longer offered.
    assert set(codes(bookings)) <= {"spot_unavailable"}
    if cancel or not booked:
        assert not isinstance(withdrawn, Problem), withdrawn
        assert garage.windows(spot) == []
        assert all(garage.reservation(b["id"])["status"] == "cancelled" for b in booked)
        assert all(garage.balance(p) == 50 for p in parkers)
    else:
        assert isinstance(withdrawn, Problem)
        assert withdrawn.code == "has_reservations"
        assert garage.windows(spot) == [(start, start + 10 * HOUR)]
        bookers = {b["user_id"] for b in booked}
        assert all(garage.balance(p) == (47 if p in bookers else 50) for p in parkers)
    stranded = garage.call(
        garage.admin_id,
        "SELECT r.id FROM parkshare.reservations r WHERE r.status = 'booked' AND NOT EXISTS"
        " (SELECT 1 FROM parkshare.availability a"
        "  WHERE a.spot_id = r.spot_id AND a.period @> r.period)",
    )
    assert stranded == []
    assert_ledger_holds(garage)
