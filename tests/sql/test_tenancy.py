"""Tenancy: two buildings in one database, kept apart by PostgreSQL row-level security.

Everything here runs against one database holding two buildings of different shapes, so that
a count which merely happened to match (or a policy that let the other building through)
shows. The superuser (`database.admin_url`) bypasses row-level security and is the referee:
it says which rows belong to which building, before and after every attempt to cross over.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import DictRow

from parkshare.problems import Problem, db_errors
from parkshare.store.db import admin_connect, set_context
from tests.conftest import TestDb
from tests.support import Garage, next_hour, now

# What the application role may SELECT (through row-level security), with the column that
# names the building of a row.
READABLE = {
    "buildings": "id",
    "users": "building_id",
    "accounts": "building_id",
    "spots": "building_id",
    "availability": "building_id",
    "reservations": "building_id",
    "ledger_entries": "building_id",
}
# Tenant tables the application role may not read at all (only procedures touch them).
HIDDEN = {
    "invites": "building_id",
    "refresh_tokens": "building_id",
    "outbox": "building_id",
    "idempotency_keys": "building_id",
    "sessions": "building_id",
    "audit_log": "building_id",
    "building_sso": "building_id",
    "user_identities": "building_id",
    "sso_handoffs": "building_id",
}
TENANT_TABLES = READABLE | HIDDEN
# The column that tells one row from another, where it is not `id`.
ROW_KEY = {
    "idempotency_keys": "user_id",
    "building_sso": "building_id",
    "user_identities": "user_id",
    "sso_handoffs": "code_hash",
}
# Columns the application role may read of `users`: everything but the password hash.
USER_COLUMNS = "id, building_id, email, display_name, role, disabled_at, created_at"
INSUFFICIENT_PRIVILEGE = "42501"

Conn = psycopg.Connection[DictRow]


@dataclass
class Building:
    """One building with its people, spots, bookings and money, made through procedures."""

    garage: Garage
    owner: UUID
    parker: UUID
    spots: list[UUID]
    booking: UUID

    @property
    def id(self) -> UUID:
        return self.garage.building_id

    @property
    def admin(self) -> UUID:
        return self.garage.admin_id


def furnish(garage: Garage, *, residents: int, spots: int, extra_bookings: int) -> Building:
    """A building; `residents`, `spots` and `extra_bookings` make its row counts its own."""
    owner, parker = garage.user("Owner"), garage.user("Parker")
    others = [garage.user(f"Resident{i}") for i in range(residents)]
    # The same label in both buildings: labels are unique per building, not globally.
    labels = ["B2-17", *(f"C-{i}" for i in range(1, spots))]
    spot_ids = [garage.spot(owner, label) for label in labels]
    for spot in spot_ids:
        garage.offer(owner, spot, next_hour(), next_hour(48))
        # A second, separate window: availability gets more than one row per spot.
        garage.offer(owner, spot, next_hour(60), next_hour(70))
    booking = UUID(str(garage.reserve(parker, spot_ids[0], next_hour(2), next_hour(4))["id"]))
    for i in range(extra_bookings):
        resident = others[i % len(others)]
        row = garage.reserve(resident, spot_ids[-1], next_hour(10 + 2 * i), next_hour(11 + 2 * i))
        if i % 2:
            garage.cancel(resident, UUID(str(row["id"])))
    garage.grant(parker, 7, "welcome back")
    # Rows of the tables the application role cannot read: an invite, a refresh token and an
    # idempotency key, all written by their procedures.
    garage.call(
        garage.admin_id,
        "SELECT * FROM parkshare.create_invite(%s, 'resident', %s, NULL)",
        (uuid.uuid4().hex, now() + timedelta(days=7)),
    )
    garage.call(
        None,
        "SELECT parkshare.start_session(%s, %s, %s, %s, 'password', NULL, NULL)",
        (parker, uuid.uuid4().hex, uuid.uuid4(), now() + timedelta(days=30)),
    )
    garage.call(
        parker,
        "SELECT parkshare.reserve_request(%s, %s, %s, %s, %s)",
        (spot_ids[0], next_hour(20), next_hour(21), uuid.uuid4().hex, "request-hash"),
    )
    return Building(garage, owner, parker, spot_ids, booking)


@dataclass
class Pair:
    a: Building
    b: Building
    db: TestDb

    def building(self, name: str) -> Building:
        return self.a if name == "a" else self.b


@pytest.fixture
def pair(database: TestDb) -> Iterator[Pair]:
    a = furnish(Garage.create(database), residents=3, spots=2, extra_bookings=3)
    b = furnish(Garage.create(database), residents=1, spots=1, extra_bookings=0)
    yield Pair(a, b, database)
    a.garage.close()
    b.garage.close()


# --- what the superuser (the referee) sees --------------------------------------------------


def own_ids(db: TestDb, building: UUID, table: str) -> set[Any]:
    """Ids of `table`'s rows that belong to `building` (the superuser bypasses RLS)."""
    key = ROW_KEY.get(table, "id")
    with admin_connect(db.admin_url) as admin:
        rows = admin.execute(
            sql.SQL("SELECT {} AS id FROM parkshare.{} WHERE {} = %s").format(
                sql.Identifier(key), sql.Identifier(table), sql.Identifier(TENANT_TABLES[table])
            ),
            (building,),
        ).fetchall()
    return {r["id"] for r in rows}


def snapshot(db: TestDb, building: UUID) -> dict[str, list[str]]:
    """Every row of every tenant table that belongs to `building`, as sorted JSON text."""
    with admin_connect(db.admin_url) as admin:
        return {
            table: sorted(
                r["j"]
                for r in admin.execute(
                    sql.SQL(
                        "SELECT to_jsonb(t)::text AS j FROM parkshare.{} t WHERE {} = %s"
                    ).format(sql.Identifier(table), sql.Identifier(column)),
                    (building,),
                ).fetchall()
            )
            for table, column in TENANT_TABLES.items()
        }


def seen_ids(conn: Conn, table: str) -> set[Any]:
    rows = conn.execute(
        sql.SQL("SELECT id FROM parkshare.{}").format(sql.Identifier(table))
    ).fetchall()
    return {r["id"] for r in rows}


def seen_count(conn: Conn, table: str) -> int:
    row = conn.execute(
        sql.SQL("SELECT count(*) AS n FROM parkshare.{}").format(sql.Identifier(table))
    ).fetchone()
    assert row is not None
    return int(row["n"])


# --- (a) a building's transaction sees exactly its own rows ---------------------------------


def test_the_two_buildings_differ_in_every_readable_table(pair: Pair) -> None:
    """The premise of the counting tests below: equal counts would prove nothing."""
    for table in READABLE:
        mine, theirs = own_ids(pair.db, pair.a.id, table), own_ids(pair.db, pair.b.id, table)
        assert mine and theirs, f"{table}: both buildings need rows"
        assert not mine & theirs, table
        if table != "buildings":
            assert len(mine) != len(theirs), f"{table}: counts must tell the buildings apart"


@pytest.mark.parametrize("who", ["a", "b"])
@pytest.mark.parametrize("table", list(READABLE))
def test_a_building_context_sees_exactly_its_own_rows(pair: Pair, who: str, table: str) -> None:
    me = pair.building(who)
    conn = me.garage.conn
    with conn.transaction():
        set_context(conn, me.id, me.admin, me.garage.session(me.admin))
        count, ids = seen_count(conn, table), seen_ids(conn, table)
    expected = own_ids(pair.db, me.id, table)
    assert count == len(expected)
    assert ids == expected


@pytest.mark.parametrize("who", ["a", "b"])
def test_a_residents_context_sees_the_same_building_rows_as_its_admin(pair: Pair, who: str) -> None:
    me = pair.building(who)
    conn = me.garage.conn
    seen: dict[UUID, dict[str, set[Any]]] = {}
    for user in (me.admin, me.parker):
        with conn.transaction():
            set_context(conn, me.id, user, me.garage.session(user))
            seen[user] = {t: seen_ids(conn, t) for t in READABLE}
    assert seen[me.parker] == seen[me.admin]
    assert seen[me.parker] == {t: own_ids(pair.db, me.id, t) for t in READABLE}


def test_the_garage_view_lists_only_the_buildings_own_spots(pair: Pair) -> None:
    rows = pair.a.garage.call(
        pair.a.parker,
        "SELECT v->>'id' AS id FROM parkshare.spot_views_v2(%s, %s) v",
        (next_hour(), next_hour(5)),
    )
    assert {UUID(r["id"]) for r in rows} == set(pair.a.spots)


# --- (b) without a context the application role sees nothing --------------------------------

NO_CONTEXT: dict[str, Callable[[Pair], tuple[str, str] | None]] = {
    "nothing set": lambda p: None,
    "both empty": lambda p: ("", ""),
    "user only": lambda p: ("", str(p.a.admin)),
    "unknown building": lambda p: (str(uuid.uuid4()), str(p.a.admin)),
}


@pytest.mark.parametrize("context", list(NO_CONTEXT))
def test_without_a_building_context_the_app_role_sees_no_row(pair: Pair, context: str) -> None:
    conn = pair.a.garage.conn
    values = NO_CONTEXT[context](pair)
    with conn.transaction():
        if values is not None:
            conn.execute(
                "SELECT set_config('parkshare.building_id', %s, true),"
                " set_config('parkshare.user_id', %s, true)",
                values,
            )
        counts = {t: seen_count(conn, t) for t in READABLE}
    assert counts == dict.fromkeys(READABLE, 0)


def test_the_context_ends_with_its_transaction(pair: Pair) -> None:
    conn = pair.a.garage.conn
    with conn.transaction():
        set_context(conn, pair.a.id, pair.a.admin, pair.a.garage.session(pair.a.admin))
        assert seen_count(conn, "spots") == len(pair.a.spots)
    with conn.transaction():
        assert {t: seen_count(conn, t) for t in READABLE} == dict.fromkeys(READABLE, 0)


# --- (c) the application role reads only what it was granted and writes nothing directly ----


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT password_hash FROM parkshare.users",
        "SELECT * FROM parkshare.users",
        "SELECT u FROM parkshare.users u",
        "SELECT count(*) FROM parkshare.users WHERE password_hash IS NULL",
        "SELECT * FROM parkshare.invites",
        "SELECT count(*) FROM parkshare.invites",
        "SELECT * FROM parkshare.refresh_tokens",
        "SELECT count(*) FROM parkshare.refresh_tokens",
        "SELECT * FROM parkshare.outbox",
        "SELECT count(*) FROM parkshare.outbox",
        "SELECT * FROM parkshare.idempotency_keys",
    ],
)
def test_the_app_role_cannot_read_secrets_or_internal_tables(pair: Pair, statement: str) -> None:
    conn = pair.a.garage.conn
    session = pair.a.garage.session(pair.a.admin)
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused, conn.transaction():
        set_context(conn, pair.a.id, pair.a.admin, session)
        conn.execute(statement)
    assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE


def test_the_app_role_reads_every_user_column_but_the_password_hash(pair: Pair) -> None:
    rows = pair.a.garage.call(pair.a.admin, f"SELECT {USER_COLUMNS} FROM parkshare.users")
    assert {r["id"] for r in rows} == own_ids(pair.db, pair.a.id, "users")


def schema_tables(db: TestDb) -> list[tuple[str, str]]:
    """Every table of schema parkshare with a column an UPDATE may name, from the catalog."""
    with admin_connect(db.admin_url) as admin:
        rows = admin.execute(
            """
            SELECT c.relname AS name,
                   (SELECT a.attname FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.attidentity = '' AND a.attgenerated = ''
                    ORDER BY a.attnum LIMIT 1) AS column
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p')
            ORDER BY c.relname
            """
        ).fetchall()
    return [(r["name"], r["column"]) for r in rows]


WRITES: dict[str, Callable[[str, str], sql.Composed]] = {
    "INSERT": lambda t, _: sql.SQL("INSERT INTO parkshare.{} DEFAULT VALUES").format(
        sql.Identifier(t)
    ),
    "UPDATE": lambda t, c: sql.SQL("UPDATE parkshare.{} SET {} = {}").format(
        sql.Identifier(t), sql.Identifier(c), sql.Identifier(c)
    ),
    "DELETE": lambda t, _: sql.SQL("DELETE FROM parkshare.{}").format(sql.Identifier(t)),
    "TRUNCATE": lambda t, _: sql.SQL("TRUNCATE parkshare.{}").format(sql.Identifier(t)),
}


@pytest.mark.parametrize("operation", list(WRITES))
def test_the_app_role_cannot_write_any_table_directly(pair: Pair, operation: str) -> None:
    tables = schema_tables(pair.db)
    assert set(TENANT_TABLES) <= {name for name, _ in tables}
    before = snapshot(pair.db, pair.a.id)
    conn = pair.a.garage.conn
    allowed: list[str] = []
    for table, column in tables:
        try:
            with conn.transaction():
                set_context(conn, pair.a.id, pair.a.admin, pair.a.garage.session(pair.a.admin))
                conn.execute(WRITES[operation](table, column))
        except psycopg.Error as exc:
            if exc.sqlstate != INSUFFICIENT_PRIVILEGE:
                allowed.append(f"{table}: {exc.sqlstate} {exc}")
        else:
            allowed.append(f"{table}: succeeded")
    assert allowed == [], f"{operation} not refused with permission denied"
    assert snapshot(pair.db, pair.a.id) == before


def test_the_catalog_grants_the_app_role_no_write_on_any_table_or_column(pair: Pair) -> None:
    with admin_connect(pair.db.admin_url) as admin:
        rows = admin.execute(
            """
            SELECT c.relname AS name, p.privilege
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                 unnest(ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',
                              'TRIGGER']) AS p(privilege)
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND (has_table_privilege('parkshare_app', c.oid, p.privilege)
                   OR (p.privilege IN ('INSERT', 'UPDATE', 'REFERENCES')
                       AND has_any_column_privilege('parkshare_app', c.oid, p.privilege)))
            """
        ).fetchall()
    assert [(r["name"], r["privilege"]) for r in rows] == []


def test_a_write_refused_directly_goes_through_its_procedure(pair: Pair) -> None:
    a = pair.a
    conn = a.garage.conn
    session = a.garage.session(a.owner)
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        set_context(conn, a.id, a.owner, session)
        conn.execute(
            "INSERT INTO parkshare.spots (building_id, owner_id, label) VALUES (%s, %s, 'D-1')",
            (a.id, a.owner),
        )
    spot = a.garage.spot(a.owner, "D-1")
    assert spot in own_ids(pair.db, a.id, "spots")


# --- (d) another building's ids do not exist for you ---------------------------------------


@dataclass(frozen=True)
class Intrusion:
    """A procedure called in building A's context on an id of building B."""

    actor: Callable[[Pair], UUID]
    query: str
    params: Callable[[Pair], tuple[Any, ...]]
    code: str


INTRUSIONS = {
    "reserve B's spot": Intrusion(
        lambda p: p.a.parker,
        "SELECT * FROM parkshare.reserve(%s, %s, %s)",
        lambda p: (p.b.spots[0], next_hour(30), next_hour(31)),
        "spot_not_found",
    ),
    "reserve B's spot with a key": Intrusion(
        lambda p: p.a.parker,
        "SELECT parkshare.reserve_request(%s, %s, %s, %s, %s)",
        lambda p: (p.b.spots[0], next_hour(30), next_hour(31), uuid.uuid4().hex, "h"),
        "spot_not_found",
    ),
    "offer B's spot": Intrusion(
        lambda p: p.a.owner,
        "SELECT * FROM parkshare.set_availability(%s, %s, %s, true, false)",
        lambda p: (p.b.spots[0], next_hour(100), next_hour(120)),
        "spot_not_found",
    ),
    "withdraw B's spot, cancelling its bookings": Intrusion(
        lambda p: p.a.owner,
        "SELECT * FROM parkshare.set_availability(%s, %s, %s, false, true)",
        lambda p: (p.b.spots[0], next_hour(), next_hour(48)),
        "spot_not_found",
    ),
    "cancel B's booking as a resident": Intrusion(
        lambda p: p.a.parker,
        "SELECT * FROM parkshare.cancel(%s)",
        lambda p: (p.b.booking,),
        "reservation_not_found",
    ),
    "cancel B's booking as A's admin": Intrusion(
        lambda p: p.a.admin,
        "SELECT * FROM parkshare.cancel(%s)",
        lambda p: (p.b.booking,),
        "reservation_not_found",
    ),
    "grant credits to B's user": Intrusion(
        lambda p: p.a.admin,
        "SELECT * FROM parkshare.grant_credits(%s, %s, %s)",
        lambda p: (p.b.parker, 1000, "gift"),
        "user_not_found",
    ),
    "deduct credits from B's user": Intrusion(
        lambda p: p.a.admin,
        "SELECT * FROM parkshare.grant_credits(%s, %s, %s)",
        lambda p: (p.b.parker, -10, "fine"),
        "user_not_found",
    ),
    "grant credits to B's admin": Intrusion(
        lambda p: p.a.admin,
        "SELECT * FROM parkshare.grant_credits(%s, %s, %s)",
        lambda p: (p.b.admin, 1000, "gift"),
        "user_not_found",
    ),
}


@pytest.mark.parametrize("name", list(INTRUSIONS))
def test_another_buildings_ids_are_not_found_and_stay_untouched(pair: Pair, name: str) -> None:
    intrusion = INTRUSIONS[name]
    before = snapshot(pair.db, pair.b.id)
    with pytest.raises(Problem) as refused:
        pair.a.garage.call(intrusion.actor(pair), intrusion.query, intrusion.params(pair))
    assert refused.value.code == intrusion.code
    assert refused.value.status == 404  # not 403: for A, B's ids do not exist
    assert snapshot(pair.db, pair.b.id) == before


def test_b_is_unchanged_by_all_intrusions_together(pair: Pair) -> None:
    before_b = snapshot(pair.db, pair.b.id)
    codes = []
    for intrusion in INTRUSIONS.values():
        try:
            pair.a.garage.call(intrusion.actor(pair), intrusion.query, intrusion.params(pair))
        except Problem as exc:
            codes.append(exc.code)
    assert codes == [i.code for i in INTRUSIONS.values()]
    after_b = snapshot(pair.db, pair.b.id)
    assert after_b == before_b
    assert pair.b.garage.reservation(pair.b.booking)["status"] == "booked"
    assert pair.b.garage.balance(pair.b.parker) == 50 - 3 - 3 + 7


# --- (e) a user of building B in building A's context is nobody -----------------------------


@dataclass(frozen=True)
class Impostor:
    """A procedure called with building A in the context and a user of building B."""

    actor: Callable[[Pair], UUID]
    query: str
    params: Callable[[Pair], tuple[Any, ...]]


IMPOSTORS = {
    "add a spot": Impostor(
        lambda p: p.b.owner, "SELECT * FROM parkshare.add_spot('SNEAK', NULL, NULL)", lambda p: ()
    ),
    "reserve A's spot": Impostor(
        lambda p: p.b.parker,
        "SELECT * FROM parkshare.reserve(%s, %s, %s)",
        lambda p: (p.a.spots[0], next_hour(30), next_hour(31)),
    ),
    "reserve A's spot with a key": Impostor(
        lambda p: p.b.parker,
        "SELECT parkshare.reserve_request(%s, %s, %s, %s, %s)",
        lambda p: (p.a.spots[0], next_hour(30), next_hour(31), uuid.uuid4().hex, "h"),
    ),
    "offer A's spot": Impostor(
        lambda p: p.b.owner,
        "SELECT * FROM parkshare.set_availability(%s, %s, %s, true, false)",
        lambda p: (p.a.spots[0], next_hour(100), next_hour(120)),
    ),
    "cancel A's booking": Impostor(
        lambda p: p.b.parker, "SELECT * FROM parkshare.cancel(%s)", lambda p: (p.a.booking,)
    ),
    "read my page": Impostor(lambda p: p.b.parker, "SELECT parkshare.me_view()", lambda p: ()),
    "grant credits as B's admin": Impostor(
        lambda p: p.b.admin,
        "SELECT * FROM parkshare.grant_credits(%s, %s, %s)",
        lambda p: (p.a.parker, 1000, "gift"),
    ),
    "create a user as B's admin": Impostor(
        lambda p: p.b.admin,
        "SELECT * FROM parkshare.create_user(%s, NULL, 'Mole', 'admin')",
        lambda p: (f"mole-{uuid.uuid4().hex[:8]}@test.example",),
    ),
    "invite as B's admin": Impostor(
        lambda p: p.b.admin,
        "SELECT * FROM parkshare.create_invite(%s, 'admin', %s, NULL)",
        lambda p: (uuid.uuid4().hex, now() + timedelta(days=1)),
    ),
    "settle as B's admin": Impostor(
        lambda p: p.b.admin, "SELECT parkshare.settle_due()", lambda p: ()
    ),
    "an id of no user at all": Impostor(
        lambda p: uuid.uuid4(),
        "SELECT * FROM parkshare.add_spot('SNEAK', NULL, NULL)",
        lambda p: (),
    ),
}


@pytest.mark.parametrize("name", list(IMPOSTORS))
def test_a_user_of_another_building_is_unauthenticated_in_yours(pair: Pair, name: str) -> None:
    """With their token's session, entering A's context is refused (the session is B's);
    by the operator's connection, which needs no session, the procedure refuses them."""
    impostor = IMPOSTORS[name]
    pair.a.garage.session(impostor.actor(pair))  # their login, before anything is compared
    before = {b: snapshot(pair.db, b) for b in (pair.a.id, pair.b.id)}
    with pytest.raises(Problem) as refused:
        pair.a.garage.call(impostor.actor(pair), impostor.query, impostor.params(pair))
    assert (refused.value.code, refused.value.status) == ("invalid_token", 401)
    with (
        admin_connect(pair.db.admin_url) as operator,
        pytest.raises(Problem) as refused,
        db_errors(),
        operator.transaction(),
    ):
        operator.execute("SET LOCAL ROLE parkshare_app")
        set_context(operator, pair.a.id, impostor.actor(pair))
        operator.execute(impostor.query, impostor.params(pair))
    assert (refused.value.code, refused.value.status) == ("unauthenticated", 401)
    assert {b: snapshot(pair.db, b) for b in (pair.a.id, pair.b.id)} == before


# --- (f) the owner role of every procedure is bound by the context too ----------------------


@pytest.fixture
def as_owner_in_a(pair: Pair) -> Iterator[Conn]:
    """The superuser become parkshare_owner, in one transaction with building A's context."""
    with psycopg.connect(pair.db.admin_url, row_factory=psycopg.rows.dict_row) as conn:
        conn.execute("SET ROLE parkshare_owner")
        set_context(conn, pair.a.id, pair.a.admin)
        yield conn


def test_the_owner_role_in_a_context_sees_only_that_building(
    pair: Pair, as_owner_in_a: Conn
) -> None:
    conn = as_owner_in_a
    row = conn.execute(
        "SELECT count(*) AS n FROM parkshare.spots WHERE building_id = %s OR id = ANY(%s)",
        (pair.b.id, pair.b.spots),
    ).fetchone()
    assert row is not None and row["n"] == 0
    for table in TENANT_TABLES:
        key = ROW_KEY.get(table, "id")
        ids = conn.execute(
            sql.SQL("SELECT {} AS id FROM parkshare.{}").format(
                sql.Identifier(key), sql.Identifier(table)
            )
        ).fetchall()
        assert {r["id"] for r in ids} == own_ids(pair.db, pair.a.id, table), table


def test_the_owner_role_cannot_insert_a_row_of_another_building(
    pair: Pair, as_owner_in_a: Conn
) -> None:
    before = snapshot(pair.db, pair.b.id)
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        as_owner_in_a.execute(
            "INSERT INTO parkshare.spots (building_id, owner_id, label) VALUES (%s, %s, 'SNEAK')",
            (pair.b.id, pair.b.owner),
        )
    assert refused.value.sqlstate == INSUFFICIENT_PRIVILEGE
    assert "row-level security" in str(refused.value)
    as_owner_in_a.rollback()
    assert snapshot(pair.db, pair.b.id) == before


def test_the_owner_role_cannot_change_or_remove_another_buildings_rows(
    pair: Pair, as_owner_in_a: Conn
) -> None:
    before = snapshot(pair.db, pair.b.id)
    conn = as_owner_in_a
    changed = conn.execute(
        "UPDATE parkshare.spots SET notes = 'moved' WHERE building_id = %s", (pair.b.id,)
    )
    assert changed.rowcount == 0
    removed = conn.execute(
        "DELETE FROM parkshare.availability WHERE building_id = %s", (pair.b.id,)
    )
    assert removed.rowcount == 0
    conn.commit()
    assert snapshot(pair.db, pair.b.id) == before


def test_a_row_of_one_building_cannot_point_at_another_buildings_rows(
    pair: Pair, as_owner_in_a: Conn
) -> None:
    # A's building id passes the policy, but the owner named is B's: the composite foreign
    # keys (building_id, owner_id) refuse a cross-building reference.
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        as_owner_in_a.execute(
            "INSERT INTO parkshare.spots (building_id, owner_id, label) VALUES (%s, %s, 'X-1')",
            (pair.a.id, pair.b.owner),
        )


# --- (g) the catalog: the app role is powerless, and every tenant table forces RLS ----------


def test_the_app_role_is_no_superuser_bypasses_no_rls_and_owns_nothing(database: TestDb) -> None:
    with admin_connect(database.admin_url) as admin:
        role = admin.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'parkshare_app'"
        ).fetchone()
        owned = admin.execute(
            """
            SELECT 'relation' AS kind, relname::text AS name FROM pg_class
            WHERE relowner = 'parkshare_app'::regrole
            UNION ALL SELECT 'function', proname::text FROM pg_proc
            WHERE proowner = 'parkshare_app'::regrole
            UNION ALL SELECT 'schema', nspname::text FROM pg_namespace
            WHERE nspowner = 'parkshare_app'::regrole
            UNION ALL SELECT 'type', typname::text FROM pg_type
            WHERE typowner = 'parkshare_app'::regrole
            """
        ).fetchall()
        # Nor may it become a role that has those powers (SET ROLE, or inherited rights).
        powerful = admin.execute(
            """
            SELECT rolname FROM pg_roles
            WHERE rolname <> 'parkshare_app' AND pg_has_role('parkshare_app', oid, 'MEMBER')
              AND (rolsuper OR rolbypassrls OR rolname = 'parkshare_owner'
                   OR oid IN (SELECT relowner FROM pg_class c JOIN pg_namespace n
                              ON n.oid = c.relnamespace WHERE n.nspname = 'parkshare'))
            """
        ).fetchall()
    assert role == {"rolsuper": False, "rolbypassrls": False}
    assert owned == []
    assert powerful == []


def test_every_table_with_a_building_id_enables_and_forces_row_level_security(
    database: TestDb,
) -> None:
    with admin_connect(database.admin_url) as admin:
        rows = admin.execute(
            """
            SELECT c.relname AS name, c.relrowsecurity AS enabled,
                   c.relforcerowsecurity AS forced,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p')
              AND (c.relname = 'buildings' OR EXISTS (
                  SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname = 'building_id' AND NOT a.attisdropped))
            ORDER BY 1
            """
        ).fetchall()
    names = {r["name"] for r in rows}
    assert set(TENANT_TABLES) <= names, "the catalog query misses known tenant tables"
    unprotected = [
        r["name"] for r in rows if not (r["enabled"] and r["forced"] and r["policies"] > 0)
    ]
    assert unprotected == []


def test_the_only_tables_the_app_reads_without_row_security_are_the_error_vocabulary(
    database: TestDb,
) -> None:
    with admin_connect(database.admin_url) as admin:
        rows = admin.execute(
            """
            SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
              AND has_any_column_privilege('parkshare_app', c.oid, 'SELECT')
            ORDER BY 1
            """
        ).fetchall()
    assert [r["name"] for r in rows] == ["constraint_errors", "error_codes"]
