"""The moments nobody clicks: a reservation starting and ending is announced once, and an
ended one is settled once, whichever of its scheduled job, the sweep or the cron gets there
first, and however often each runs."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from tests.support import Garage, next_hour
from tests.support import problem_code as code

STARTED = "SELECT parkshare.reservation_started(%s) AS outcome"
ENDED = "SELECT parkshare.reservation_ended(%s) AS outcome"
SWEEP = "SELECT * FROM parkshare.sweep_due()"


def booked(garage: Garage, hours: int = 2) -> tuple[UUID, UUID, UUID]:
    owner, parker = garage.user("owner"), garage.user("parker")
    spot = garage.spot(owner)
    start = next_hour()
    garage.offer(owner, spot, start - timedelta(hours=1), start + timedelta(hours=hours + 1))
    reservation = garage.reserve(parker, spot, start, start + timedelta(hours=hours))["id"]
    return owner, parker, reservation


def outcome(garage: Garage, query: str, reservation: UUID) -> str:
    return str(garage.system(query, (reservation,))["outcome"])


def about(garage: Garage, reservation: UUID, *types: str) -> list[str]:
    return [
        e["type"]
        for e in garage.outbox(*types)
        if e["data"].get("reservation", {}).get("id") == str(reservation)
    ]


def test_a_start_is_announced_once_and_not_before_it_comes(garage: Garage) -> None:
    _, _, reservation = booked(garage)
    assert outcome(garage, STARTED, reservation) == "early"
    garage.travel(timedelta(hours=1, minutes=5))
    assert outcome(garage, STARTED, reservation) == "announced"
    assert outcome(garage, STARTED, reservation) == "skipped"
    assert about(garage, reservation, "reservation.started") == ["reservation.started"]
    spot_update = garage.outbox("spot.updated")[-1]["data"]
    assert spot_update["status_now"] == "reserved"


def test_an_end_is_announced_then_settled_once(garage: Garage) -> None:
    owner, _, reservation = booked(garage)
    before = garage.balance(owner)
    assert outcome(garage, ENDED, reservation) == "early"
    garage.travel(timedelta(hours=4))
    assert outcome(garage, ENDED, reservation) == "settled"
    assert outcome(garage, ENDED, reservation) == "skipped"
    assert garage.settle() == 0
    assert garage.balance(owner) == before + 3
    assert about(garage, reservation, "reservation.ended", "reservation.settled") == [
        "reservation.ended",
        "reservation.settled",
    ]
    audit = garage.audit()
    assert audit["users"] + audit["escrow"] == audit["grants"], audit
    assert audit["drifted_accounts"] == 0, audit


def test_a_cancelled_reservation_has_no_moments(garage: Garage) -> None:
    _, parker, reservation = booked(garage)
    garage.cancel(parker, reservation)
    garage.travel(timedelta(hours=4))
    assert outcome(garage, STARTED, reservation) == "skipped"
    assert outcome(garage, ENDED, reservation) == "skipped"
    assert garage.system(SWEEP) == {"started": 0, "settled": 0}
    assert about(garage, reservation, "reservation.started", "reservation.ended") == []


def test_the_sweep_does_what_lost_jobs_missed_once(garage: Garage) -> None:
    owner = garage.user("owner")
    parker, other = garage.user("parker"), garage.user("other")
    spot, spot2 = garage.spot(owner), garage.spot(owner)
    start = next_hour()
    for s in (spot, spot2):
        garage.offer(owner, s, start, start + timedelta(hours=10))
    running = garage.reserve(parker, spot, start, start + timedelta(hours=6))["id"]
    ending = garage.reserve(other, spot2, start, start + timedelta(hours=1))["id"]
    garage.travel(timedelta(hours=2))
    assert garage.system(SWEEP) == {"started": 1, "settled": 1}
    assert garage.system(SWEEP) == {"started": 0, "settled": 0}
    assert about(garage, running, "reservation.started") == ["reservation.started"]
    # It ended before anyone saw it start: its end is news, its start no longer is.
    assert about(garage, ending, "reservation.started", "reservation.ended") == [
        "reservation.ended"
    ]
    assert garage.reservation(ending)["status"] == "settled"
    assert outcome(garage, ENDED, ending) == "skipped"


def test_the_cron_settlement_announces_the_end_first(garage: Garage) -> None:
    _, _, reservation = booked(garage)
    garage.travel(timedelta(hours=4))
    assert garage.settle() == 1
    assert about(garage, reservation, "reservation.ended", "reservation.settled") == [
        "reservation.ended",
        "reservation.settled",
    ]
    assert outcome(garage, ENDED, reservation) == "skipped"


@pytest.mark.parametrize("query", [STARTED, ENDED])
def test_jobs_refuse_a_tenant_context(garage: Garage, query: str) -> None:
    _, parker, reservation = booked(garage)
    with pytest.raises(Exception) as refused:
        garage.one(parker, query, (reservation,))
    assert code(refused.value) == "forbidden"


def test_publishing_claims_in_order_and_marks_once(garage: Garage) -> None:
    booked(garage)
    pending = garage.outbox()
    assert pending and all(e["published_at"] is None for e in pending)
    claimed = garage.conn.execute(
        "SELECT id FROM parkshare.outbox_claim(%s, 1000)", (garage.building_id,)
    ).fetchall()
    garage.conn.rollback()
    assert [r["id"] for r in claimed] == [e["id"] for e in pending]
    ids = [e["id"] for e in pending]
    marked = garage.system(
        "SELECT parkshare.outbox_published(%s, %s) AS n", (ids, [f"1-{i}" for i in ids])
    )
    again = garage.system(
        "SELECT parkshare.outbox_published(%s, %s) AS n", (ids, [f"2-{i}" for i in ids])
    )
    assert (marked["n"], again["n"]) == (len(ids), 0)
    assert [e["stream_id"] for e in garage.outbox()] == [f"1-{i}" for i in ids]
    left = garage.conn.execute(
        "SELECT count(*) AS n FROM parkshare.outbox_claim(%s, 1000)", (garage.building_id,)
    ).fetchone()
    garage.conn.rollback()
    assert left is not None and left["n"] == 0
