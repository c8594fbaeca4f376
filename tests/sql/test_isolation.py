"""Row-level security: one building's transaction can neither read nor write another's rows."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from parkshare.problems import Problem
from parkshare.store.db import set_context
from tests.conftest import TestDb
from tests.support import Garage, next_hour

READABLE = (
    "buildings",
    "users",
    "accounts",
    "spots",
    "availability",
    "reservations",
    "ledger_entries",
)


class Two:
    def __init__(self, database: TestDb) -> None:
        self.a, self.b = Garage.create(database), Garage.create(database)
        for g in (self.a, self.b):
            owner, parker = g.user("Owner"), g.user("Parker")
            spot = g.spot(owner, "SAME-LABEL")
            g.offer(owner, spot, next_hour(), next_hour(10))
            booked = g.reserve(parker, spot, next_hour(2), next_hour(3))
            g.names[spot] = "spot"
            g.names[booked["id"]] = "booked"
        self.b_owner = next(k for k, v in self.b.names.items() if v == "Owner")
        self.b_spot = next(k for k, v in self.b.names.items() if v == "spot")
        self.b_booking = next(k for k, v in self.b.names.items() if v == "booked")


@pytest.fixture
def two(database: TestDb) -> Iterator[Two]:
    built = Two(database)
    yield built
    built.a.close()
    built.b.close()


def counts(conn: psycopg.Connection[psycopg.rows.DictRow]) -> dict[str, int]:
    return {
        t: conn.execute(
            psycopg.sql.SQL("SELECT count(*) AS n FROM parkshare.{}").format(
                psycopg.sql.Identifier(t)
            )
        ).fetchone()["n"]  # type: ignore[index]
        for t in READABLE
    }


def test_a_building_sees_only_its_own_rows(two: Two, database: TestDb) -> None:
    with psycopg.connect(database.admin_url, row_factory=psycopg.rows.dict_row) as admin:
        everything = counts(admin)
    seen_by_a = counts_as(two.a)
    seen_by_b = counts_as(two.b)
    assert seen_by_a == seen_by_b
    assert seen_by_a["buildings"] == 1 and seen_by_a["spots"] == 1
    assert {t: seen_by_a[t] + seen_by_b[t] for t in READABLE} == everything


def counts_as(garage: Garage) -> dict[str, int]:
    session = garage.session(garage.admin_id)
    with garage.conn.transaction():
        set_context(garage.conn, garage.building_id, garage.admin_id, session)
        return counts(garage.conn)


def test_without_a_context_the_app_role_sees_nothing(two: Two) -> None:
    conn = two.a.conn
    with conn.transaction():
        assert set(counts(conn).values()) == {0}


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT password_hash FROM parkshare.users",
        "SELECT * FROM parkshare.invites",
        "SELECT * FROM parkshare.refresh_tokens",
        "SELECT * FROM parkshare.outbox",
        "INSERT INTO parkshare.spots (building_id, owner_id, label) VALUES (gen_random_uuid(),"
        " gen_random_uuid(), 'X')",
        "UPDATE parkshare.accounts SET balance = balance + 100",
        "DELETE FROM parkshare.reservations",
        "UPDATE parkshare.buildings SET cost = 0",
    ],
)
def test_the_app_role_cannot_touch_tables_directly(two: Two, statement: str) -> None:
    conn = two.a.conn
    session = two.a.session(two.a.admin_id)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        set_context(conn, two.a.building_id, two.a.admin_id, session)
        conn.execute(statement)


def test_another_buildings_ids_do_not_exist_for_you(two: Two) -> None:
    a = two.a
    me = a.user("Curious")
    with pytest.raises(Problem, check=lambda e: e.code == "spot_not_found"):
        a.reserve(me, two.b_spot, next_hour(4), next_hour(5))
    with pytest.raises(Problem, check=lambda e: e.code == "reservation_not_found"):
        a.cancel(me, two.b_booking)
    with pytest.raises(Problem, check=lambda e: e.code == "spot_not_found"):
        a.withdraw(me, two.b_spot, next_hour(), next_hour(10), cancel=True)
    with pytest.raises(Problem, check=lambda e: e.code == "user_not_found"):
        a.grant(two.b_owner, 1000)
    assert two.b.reservation(two.b_booking)["status"] == "booked"
    assert two.b.balance(two.b_owner) == 50
    assert len(two.b.windows(two.b_spot)) == 1


def test_a_user_of_another_building_cannot_act_in_yours(two: Two) -> None:
    """Their session belongs to their building: the context of yours is refused at once."""
    a = two.a
    with pytest.raises(Problem, check=lambda e: e.code == "invalid_token"):
        a.one(two.b_owner, "SELECT * FROM parkshare.add_spot('SNEAK', NULL, NULL)")


def test_even_the_owner_role_is_bound_to_the_context(two: Two, database: TestDb) -> None:
    with psycopg.connect(database.admin_url) as conn:
        conn.execute("SET ROLE parkshare_owner")
        set_context(conn, two.a.building_id, two.a.admin_id)
        row = conn.execute(
            "SELECT count(*) FROM parkshare.spots WHERE id = %s", (two.b_spot,)
        ).fetchone()
        assert row == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO parkshare.spots (building_id, owner_id, label)"
                " VALUES (%s, %s, 'SNEAK')",
                (two.b.building_id, two.b_owner),
            )


def test_every_building_owned_table_forces_row_level_security(database: TestDb) -> None:
    with psycopg.connect(database.admin_url) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind = 'r'
              AND (c.relname = 'buildings' OR EXISTS (
                  SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'building_id' AND NOT a.attisdropped))
            """
        ).fetchall()
    assert len(rows) >= 11
    assert [r[0] for r in rows if not (r[1] and r[2])] == []


def test_the_app_role_is_powerless_by_itself(database: TestDb) -> None:
    with psycopg.connect(database.admin_url) as conn:
        role = conn.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles"
            " WHERE rolname = 'parkshare_app'"
        ).fetchone()
        owned = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = 'parkshare_app'::regrole"
        ).fetchone()
    assert role == (False, False, False, False)
    assert owned == (0,)
