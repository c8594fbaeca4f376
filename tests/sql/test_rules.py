"""SPEC rules 1-11, one behaviour per test, each failing if PostgreSQL stopped enforcing it."""

from __future__ import annotations

from uuid import UUID

import psycopg
import pytest

from parkshare.problems import Problem, db_errors
from parkshare.store.db import admin_connect, set_context
from tests.conftest import TestDb
from tests.support import HOUR, Garage, next_hour


class Scene:
    """Alice owns a spot offered for the next 48 hours; Bob and Carol park."""

    def __init__(self, garage: Garage) -> None:
        self.g = garage
        self.alice = garage.user("Alice")
        self.bob = garage.user("Bob")
        self.carol = garage.user("Carol")
        self.spot = garage.spot(self.alice, "B2-17")
        self.start = next_hour()
        garage.offer(self.alice, self.spot, self.start, self.start + 48 * HOUR)

    def book(self, who: UUID, from_hour: int, to_hour: int, spot: UUID | None = None) -> UUID:
        row = self.g.reserve(
            who, spot or self.spot, self.start + from_hour * HOUR, self.start + to_hour * HOUR
        )
        return UUID(str(row["id"]))


@pytest.fixture
def scene(garage: Garage) -> Scene:
    return Scene(garage)


def refused(code: str) -> pytest.RaisesExc[Problem]:
    return pytest.raises(Problem, check=lambda exc: exc.code == code)


# --- rule 1: no two booked/settled reservations of one spot overlap ---------------------


def test_second_booking_of_same_window_is_refused(scene: Scene) -> None:
    scene.book(scene.bob, 1, 3)
    with refused("spot_taken"):
        scene.book(scene.carol, 2, 4)


def test_back_to_back_bookings_of_one_spot_are_allowed(scene: Scene) -> None:
    scene.book(scene.bob, 1, 3)
    scene.book(scene.carol, 3, 5)
    assert scene.g.balance(scene.carol) == 47


def test_a_cancelled_booking_frees_its_window(scene: Scene) -> None:
    first = scene.book(scene.bob, 1, 3)
    scene.g.cancel(scene.bob, first)
    scene.book(scene.carol, 1, 3)


def test_a_settled_booking_still_occupies_its_window(garage: Garage, database: TestDb) -> None:
    scene = Scene(garage)
    booked = scene.book(scene.bob, 1, 3)
    garage.travel(4 * HOUR)
    assert garage.settle() == 1
    row = garage.reservation(booked)
    # The window is now in the past, where the procedures refuse to book; the constraint
    # itself must still refuse an overlapping row, so insert one beside the triggers.
    with (
        admin_connect(database.admin_url) as admin,
        pytest.raises(psycopg.errors.ExclusionViolation),
    ):
        admin.execute("SET session_replication_role = replica")
        admin.execute(
            "INSERT INTO parkshare.reservations"
            " (building_id, spot_id, owner_id, user_id, period, cost)"
            " VALUES (%s, %s, %s, %s, %s, 3)",
            (row["building_id"], row["spot_id"], row["owner_id"], scene.carol, row["period"]),
        )


# --- rule 2: nobody holds two booked reservations that overlap ---------------------------


def test_overlapping_bookings_of_one_user_on_two_spots_are_refused(scene: Scene) -> None:
    other = scene.g.spot(scene.carol)
    scene.g.offer(scene.carol, other, scene.start, scene.start + 24 * HOUR)
    scene.book(scene.bob, 1, 3)
    with refused("overlapping_reservation"):
        scene.book(scene.bob, 2, 4, spot=other)
    scene.book(scene.bob, 3, 4, spot=other)


# --- rule 3: a reservation lies inside one availability window --------------------------


def test_booking_outside_availability_is_refused(scene: Scene) -> None:
    with refused("spot_unavailable"):
        scene.book(scene.bob, 47, 49)


def test_booking_across_a_gap_between_two_windows_is_refused(scene: Scene) -> None:
    scene.g.withdraw(scene.alice, scene.spot, scene.start + 5 * HOUR, scene.start + 6 * HOUR)
    with refused("spot_unavailable"):
        scene.book(scene.bob, 4, 7)
    scene.book(scene.bob, 6, 7)


# --- rule 4: nobody reserves their own spot ---------------------------------------------


def test_reserving_your_own_spot_is_refused(scene: Scene) -> None:
    with refused("own_spot"):
        scene.book(scene.alice, 1, 2)


# --- rule 5: the window ------------------------------------------------------------------


@pytest.mark.parametrize(("from_hour", "to_hour"), [(3, 3), (3, 2)])
def test_window_that_does_not_end_after_it_starts_is_refused(
    scene: Scene, from_hour: int, to_hour: int
) -> None:
    with refused("invalid_window"):
        scene.book(scene.bob, from_hour, to_hour)


def test_window_longer_than_max_hours_is_refused(database: TestDb) -> None:
    garage = Garage.create(database, max_hours=4)
    try:
        scene = Scene(garage)
        scene.book(scene.bob, 1, 5)
        with refused("invalid_window"):
            scene.book(scene.carol, 5, 10)
    finally:
        garage.close()


def test_start_in_the_past_or_beyond_the_horizon_is_refused(database: TestDb) -> None:
    garage = Garage.create(database, horizon_days=1)
    try:
        scene = Scene(garage)
        with refused("invalid_window"):
            garage.reserve(scene.bob, scene.spot, scene.start - 2 * HOUR, scene.start)
        with refused("invalid_window"):
            scene.book(scene.bob, 26, 27)
        scene.book(scene.bob, 20, 21)
    finally:
        garage.close()


def test_an_empty_window_cannot_be_stored_even_beside_the_procedures(
    scene: Scene, database: TestDb
) -> None:
    row = scene.g.reservation(scene.book(scene.bob, 1, 2))
    with admin_connect(database.admin_url) as admin, pytest.raises(psycopg.errors.CheckViolation):
        admin.execute("SET session_replication_role = replica")
        admin.execute(
            "INSERT INTO parkshare.reservations"
            " (building_id, spot_id, owner_id, user_id, period, cost)"
            " VALUES (%s, %s, %s, %s, 'empty', 3)",
            (row["building_id"], row["spot_id"], row["owner_id"], scene.carol),
        )


# --- rule 6: cost and credits ------------------------------------------------------------


def test_booking_moves_the_policy_cost_from_parker_to_escrow(database: TestDb) -> None:
    garage = Garage.create(database, cost=5)
    try:
        scene = Scene(garage)
        booked = scene.book(scene.bob, 1, 2)
        assert garage.reservation(booked)["cost"] == 5
        assert garage.balance(scene.bob) == 45
        audit = garage.audit()
        assert audit["escrow"] == 5
        assert audit["users"] + audit["escrow"] == audit["grants"]
    finally:
        garage.close()


def test_booking_without_enough_credits_is_refused_and_books_nothing(scene: Scene) -> None:
    scene.g.grant(scene.bob, -48, "spent elsewhere")
    with refused("insufficient_credits"):
        scene.book(scene.bob, 1, 2)
    assert scene.g.balance(scene.bob) == 2
    scene.book(scene.carol, 1, 2)


def test_a_deduction_cannot_take_a_balance_below_zero(scene: Scene) -> None:
    with refused("insufficient_credits"):
        scene.g.grant(scene.bob, -51, "too much")
    assert scene.g.balance(scene.bob) == 50


# --- rule 7: starting credits ------------------------------------------------------------


def test_a_new_user_receives_the_starting_credits_as_a_ledger_entry(database: TestDb) -> None:
    garage = Garage.create(database, starting_credits=20)
    try:
        dora = garage.user("Dora")
        assert garage.balance(dora) == 20
        entries = garage.call(
            garage.admin_id,
            "SELECT e.kind, e.amount FROM parkshare.ledger_entries e"
            " JOIN parkshare.accounts a ON a.id = e.to_account WHERE a.user_id = %s",
            (dora,),
        )
        assert [(e["kind"], e["amount"]) for e in entries] == [("grant", 20)]
    finally:
        garage.close()


# --- rule 8: cancelling --------------------------------------------------------------------


def test_cancelling_before_the_start_refunds_the_full_cost(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 2)
    assert scene.g.cancel(scene.bob, booked)["status"] == "cancelled"
    assert scene.g.balance(scene.bob) == 50
    assert scene.g.audit()["escrow"] == 0


def test_cancelling_twice_refunds_once(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 2)
    scene.g.cancel(scene.bob, booked)
    assert scene.g.cancel(scene.bob, booked)["status"] == "cancelled"
    assert scene.g.balance(scene.bob) == 50


def test_cancelling_after_the_start_is_refused(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 3)
    scene.g.travel(2 * HOUR)
    with refused("already_started"):
        scene.g.cancel(scene.bob, booked)
    assert scene.g.balance(scene.bob) == 47


def test_the_spot_owner_may_cancel_and_the_parker_is_refunded(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 2)
    scene.g.cancel(scene.alice, booked)
    assert scene.g.balance(scene.bob) == 50
    assert scene.g.balance(scene.alice) == 50


def test_a_stranger_cannot_cancel(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 2)
    with refused("not_yours"):
        scene.g.cancel(scene.carol, booked)


def test_an_unknown_reservation_is_not_found(scene: Scene) -> None:
    with refused("reservation_not_found"):
        scene.g.cancel(scene.bob, UUID(int=1))


# --- rule 9: settlement ------------------------------------------------------------------


def test_settlement_pays_the_owner_once_after_the_end(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 2)
    scene.book(scene.carol, 5, 6)
    assert scene.g.settle() == 0
    scene.g.travel(3 * HOUR)
    assert scene.g.settle() == 1
    assert scene.g.settle() == 0
    assert scene.g.reservation(booked)["status"] == "settled"
    assert scene.g.balance(scene.alice) == 53
    assert scene.g.audit()["escrow"] == 3


def test_a_reservation_in_progress_is_not_settled(scene: Scene) -> None:
    booked = scene.book(scene.bob, 1, 3)
    scene.g.travel(2 * HOUR)
    assert scene.g.settle() == 0
    assert scene.g.reservation(booked)["status"] == "booked"


def test_settling_directly_before_the_end_is_refused(scene: Scene, database: TestDb) -> None:
    booked = scene.book(scene.bob, 1, 3)
    code = owner_attempt(
        database,
        scene.g,
        "UPDATE parkshare.reservations SET status = 'settled' WHERE id = %s",
        (booked,),
    )
    assert code == "not_due"


# --- rule 10: withdrawing availability ---------------------------------------------------


def test_withdrawing_availability_under_a_booking_is_refused(scene: Scene) -> None:
    scene.book(scene.bob, 3, 5)
    with refused("has_reservations"):
        scene.g.withdraw(scene.alice, scene.spot, scene.start + 4 * HOUR, scene.start + 10 * HOUR)
    assert scene.g.windows(scene.spot) == [(scene.start, scene.start + 48 * HOUR)]


def test_withdrawing_with_cancel_refunds_the_parkers(scene: Scene) -> None:
    booked = scene.book(scene.bob, 3, 5)
    kept = scene.book(scene.carol, 20, 22)
    scene.g.withdraw(
        scene.alice, scene.spot, scene.start + 2 * HOUR, scene.start + 10 * HOUR, cancel=True
    )
    assert scene.g.reservation(booked)["status"] == "cancelled"
    assert scene.g.reservation(kept)["status"] == "booked"
    assert scene.g.balance(scene.bob) == 50
    assert scene.g.windows(scene.spot) == [
        (scene.start, scene.start + 2 * HOUR),
        (scene.start + 10 * HOUR, scene.start + 48 * HOUR),
    ]


def test_withdrawing_around_a_booking_is_allowed(scene: Scene) -> None:
    scene.book(scene.bob, 3, 5)
    scene.g.withdraw(scene.alice, scene.spot, scene.start + 6 * HOUR, scene.start + 48 * HOUR)
    assert scene.g.windows(scene.spot) == [(scene.start, scene.start + 6 * HOUR)]


def test_overlapping_and_touching_windows_merge(scene: Scene) -> None:
    g, start = scene.g, scene.start
    g.offer(scene.alice, scene.spot, start + 48 * HOUR, start + 50 * HOUR)
    g.offer(scene.alice, scene.spot, start + 52 * HOUR, start + 54 * HOUR)
    assert g.windows(scene.spot) == [
        (start, start + 50 * HOUR),
        (start + 52 * HOUR, start + 54 * HOUR),
    ]
    g.offer(scene.alice, scene.spot, start + 49 * HOUR, start + 53 * HOUR)
    assert g.windows(scene.spot) == [(start, start + 54 * HOUR)]


def test_only_the_owner_changes_availability(scene: Scene) -> None:
    with refused("not_owner"):
        scene.g.offer(scene.bob, scene.spot, scene.start, scene.start + HOUR)


# --- rule 11: the ledger -------------------------------------------------------------------


def test_ledger_entries_can_never_be_changed_or_removed(scene: Scene, database: TestDb) -> None:
    scene.book(scene.bob, 1, 2)
    for statement in (
        "UPDATE parkshare.ledger_entries SET amount = amount + 1",
        "DELETE FROM parkshare.ledger_entries",
        "TRUNCATE parkshare.ledger_entries CASCADE",
    ):
        assert owner_attempt(database, scene.g, statement) == "immutable_record", statement


def test_balances_and_escrow_add_up_to_what_was_granted(scene: Scene) -> None:
    a = scene.book(scene.bob, 1, 2)
    scene.book(scene.carol, 2, 3)
    scene.book(scene.bob, 5, 6)
    scene.g.cancel(scene.bob, a)
    scene.g.grant(scene.carol, 7, "welcome back")
    scene.g.travel(4 * HOUR)
    scene.g.settle()
    audit = scene.g.audit()
    assert audit["users"] + audit["escrow"] == audit["grants"] == 4 * 50 + 7
    assert audit["escrow"] == 3
    assert audit["cached_users"] == audit["users"]
    assert audit["drifted_accounts"] == 0


def test_a_booking_without_its_escrow_entry_cannot_commit(scene: Scene, database: TestDb) -> None:
    """The money trigger, not only the procedure, ties a booking to its hold."""
    code = owner_attempt(
        database,
        scene.g,
        "INSERT INTO parkshare.reservations (building_id, spot_id, owner_id, user_id, period, cost)"
        " VALUES (%s, %s, %s, %s, tstzrange(%s, %s), 0)",
        (
            scene.g.building_id,
            scene.spot,
            scene.alice,
            scene.bob,
            scene.start + HOUR,
            scene.start + 2 * HOUR,
        ),
        user=scene.bob,
        commit=True,
    )
    assert code == "ledger_mismatch"


# --- plumbing ------------------------------------------------------------------------------


def owner_attempt(
    database: TestDb,
    garage: Garage,
    statement: str,
    params: tuple[object, ...] = (),
    *,
    user: UUID | None = None,
    commit: bool = False,
) -> str:
    """The code PostgreSQL answers when the owner role itself, inside the garage's tenant
    context, tries `statement`: what a buggy procedure could do, past the procedures' checks.
    """
    with psycopg.connect(database.admin_url) as conn:
        conn.execute("SET ROLE parkshare_owner")
        set_context(conn, garage.building_id, user or garage.admin_id)
        with pytest.raises(Problem) as caught, db_errors():
            conn.execute(statement, params)
            if commit:
                conn.commit()
        return caught.value.code


def test_a_reservations_cost_leaves_escrow_once_even_beside_the_procedures(
    scene: Scene, database: TestDb
) -> None:
    booked = scene.book(scene.bob, 1, 2)
    scene.g.travel(3 * HOUR)
    scene.g.settle()
    with admin_connect(database.admin_url) as admin:
        accounts = {
            r["kind"] + (str(r["user_id"]) if r["user_id"] else ""): r["id"]
            for r in admin.execute(
                "SELECT id, kind, user_id FROM parkshare.accounts WHERE building_id = %s",
                (scene.g.building_id,),
            )
        }
    code = owner_attempt(
        database,
        scene.g,
        "INSERT INTO parkshare.ledger_entries"
        " (building_id, from_account, to_account, amount, kind, reservation_id)"
        " VALUES (%s, %s, %s, 3, 'refund', %s)",
        (scene.g.building_id, accounts["escrow"], accounts[f"user{scene.bob}"], booked),
    )
    assert code == "conflict"


def test_touching_windows_cannot_be_stored_unmerged(scene: Scene, database: TestDb) -> None:
    code = owner_attempt(
        database,
        scene.g,
        "INSERT INTO parkshare.availability (building_id, spot_id, period)"
        " VALUES (%s, %s, tstzrange(%s, %s, '[)'))",
        (scene.g.building_id, scene.spot, scene.start + 48 * HOUR, scene.start + 50 * HOUR),
    )
    assert code == "conflict"
