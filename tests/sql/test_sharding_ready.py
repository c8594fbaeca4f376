"""The schema stays ready for sharding by building with Citus (docs/scaling.md, "Sharding by
building with Citus").

Citus enforces a primary key, unique constraint, unique index or exclusion constraint of a
distributed table only when it includes the distribution column (with `=` in an exclusion
constraint), and a foreign key between distributed tables only when they are co-located and
the key equates their distribution columns. Every table with a `building_id` column is to be
distributed by it, co-located, except the few named in NOT_DISTRIBUTED with their reason;
`buildings` (the tenant itself, keyed on id) and the tables without a building are reference
tables. These tests read a migrated database's catalogs, so a new table, key or index that
would not shard fails here, not on the day of the move.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.rows import DictRow

from parkshare.problems import Problem
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.support import Garage

Conn = psycopg.Connection[DictRow]

# Tables that name a building but are deliberately not distributed by it.
NOT_DISTRIBUTED = {
    # Security events of no building (a failed login for an unknown address, a forged token)
    # are kept for the operator with a NULL building_id, and a distributed table cannot hold a
    # row without its distribution column. The log stays whole on the coordinator (a Citus
    # local table), keyed by its own id; its one foreign key is to buildings, a reference
    # table, which Citus allows a local table.
    "audit_log": "local",
    # The directory of sign-in addresses: login is by email alone, so an address names one
    # user across all buildings, a uniqueness no shard can check on its own. A reference
    # table (every node has all of it), kept by a trigger on users.
    "login_emails": "reference",
}

# Tables with a building_id column: (name, attnum of building_id).
_BUILDING_TABLES = """
    SELECT c.oid, c.relname::text AS name, a.attnum, a.attnotnull
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'building_id'
                       AND NOT a.attisdropped
    WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p')
"""


def building_tables(conn: Conn) -> dict[str, DictRow]:
    return {r["name"]: r for r in conn.execute(_BUILDING_TABLES).fetchall()}


def breaches(conn: Conn) -> list[str]:
    """Every key, index and foreign key of a distributed table that Citus could not keep."""
    found: list[str] = []
    found += [
        f"{r['table']}: {r['name']} {r['definition']} does not include building_id"
        + (" WITH =" if r["kind"] == "x" else "")
        for r in conn.execute(
            f"""
            WITH t AS ({_BUILDING_TABLES})
            SELECT t.name AS table, con.conname AS name, con.contype AS kind,
                   pg_get_constraintdef(con.oid) AS definition
            FROM pg_constraint con JOIN t ON t.oid = con.conrelid
            WHERE con.contype IN ('p', 'u', 'x') AND t.name <> ALL (%(exempt)s)
              AND NOT coalesce((
                  SELECT bool_or(k = t.attnum AND (con.contype <> 'x' OR o.oprname = '='))
                  FROM unnest(con.conkey, con.conexclop) AS e(k, op)
                  LEFT JOIN pg_operator o ON o.oid = e.op), false)
            ORDER BY 1, 2
            """,
            {"exempt": list(NOT_DISTRIBUTED)},
        ).fetchall()
    ]
    # Unique indexes of their own (CREATE UNIQUE INDEX; a constraint's are checked above):
    # building_id must be one of the key columns (an INCLUDE column or an expression does
    # not count).
    found += [
        f"{r['table']}: unique index {r['definition']} does not include building_id"
        for r in conn.execute(
            f"""
            WITH t AS ({_BUILDING_TABLES})
            SELECT t.name AS table, pg_get_indexdef(i.indexrelid) AS definition
            FROM pg_index i JOIN t ON t.oid = i.indrelid
            WHERE i.indisunique AND t.name <> ALL (%(exempt)s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                                              AND c.conrelid = i.indrelid)
              AND NOT EXISTS (
                  SELECT 1 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                  WHERE k.attnum = t.attnum AND k.n <= i.indnkeyatts)
            ORDER BY 1, 2
            """,
            {"exempt": list(NOT_DISTRIBUTED)},
        ).fetchall()
    ]
    # Foreign keys between two distributed tables: building_id on both sides, paired.
    found += [
        f"{r['table']}: {r['name']} {r['definition']} does not pair building_id on both sides"
        for r in conn.execute(
            f"""
            WITH t AS ({_BUILDING_TABLES})
            SELECT src.name AS table, con.conname AS name,
                   pg_get_constraintdef(con.oid) AS definition
            FROM pg_constraint con
            JOIN t src ON src.oid = con.conrelid
            JOIN t dst ON dst.oid = con.confrelid
            WHERE con.contype = 'f'
              AND src.name <> ALL (%(exempt)s) AND dst.name <> ALL (%(exempt)s)
              AND NOT EXISTS (
                  SELECT 1 FROM unnest(con.conkey, con.confkey) AS p(k, fk)
                  WHERE p.k = src.attnum AND p.fk = dst.attnum)
            ORDER BY 1, 2
            """,
            {"exempt": list(NOT_DISTRIBUTED)},
        ).fetchall()
    ]
    return found


def placement(conn: Conn) -> dict[str, str]:
    """How each table of the schema would be placed in Citus."""
    owned = building_tables(conn)
    names = [
        r["name"]
        for r in conn.execute(
            """
            SELECT c.relname::text AS name FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'parkshare' AND c.relkind IN ('r', 'p')
              AND c.relname <> 'schema_migrations'
            """
        ).fetchall()
    ]
    return {
        name: NOT_DISTRIBUTED.get(name, "distributed" if name in owned else "reference")
        for name in names
    }


# Foreign keys Citus supports, by the placement of the referencing and the referenced table.
SUPPORTED_REFERENCES = {
    ("distributed", "distributed"),  # co-located, on the distribution column (breaches())
    ("distributed", "reference"),
    ("reference", "reference"),
    ("local", "reference"),
    ("local", "local"),
}


def directory_drift(conn: Conn) -> int:
    """Rows in which the directory of sign-in addresses and the users' addresses differ."""
    row = conn.execute(
        """
        WITH want AS (
            SELECT parkshare.ps_email_key(email) AS email_key, building_id, id AS user_id
            FROM parkshare.users WHERE email IS NOT NULL),
        have AS (SELECT email_key, building_id, user_id FROM parkshare.login_emails)
        SELECT (SELECT count(*) FROM (TABLE want EXCEPT TABLE have) x)
             + (SELECT count(*) FROM (TABLE have EXCEPT TABLE want) y) AS n
        """
    ).fetchone()
    assert row is not None
    return int(row["n"])


def test_every_key_index_and_reference_of_a_building_owned_table_includes_building_id(
    admin_conn: Conn,
) -> None:
    found = breaches(admin_conn)
    assert not found, "not ready for sharding by building:\n" + "\n".join(found)


def test_the_catalog_queries_see_the_building_owned_tables(admin_conn: Conn) -> None:
    """The queries above are not vacuous: they find the tenant tables and their keys."""
    owned = building_tables(admin_conn)
    assert {"users", "reservations", "ledger_entries", "sessions", "refresh_tokens"} <= set(owned)
    assert "buildings" not in owned, "the tenant itself is keyed on id"
    keys = admin_conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'parkshare.reservations'::regclass"
        " AND contype IN ('p', 'x') ORDER BY 1"
    ).fetchall()
    assert [k["conname"] for k in keys] == [
        "reservations_pkey",
        "reservations_spot_free",
        "reservations_user_free",
    ]


def test_every_foreign_key_is_one_citus_supports(admin_conn: Conn) -> None:
    placed = placement(admin_conn)
    rows = admin_conn.execute(
        """
        SELECT con.conname AS name, c.relname::text AS src, f.relname::text AS dst
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        JOIN pg_class f ON f.oid = con.confrelid
        JOIN pg_namespace n ON n.oid = con.connamespace
        WHERE n.nspname = 'parkshare' AND con.contype = 'f'
        ORDER BY 1
        """
    ).fetchall()
    assert rows, "no foreign key found: the query is stale"
    unsupported = [
        f"{r['name']}: {r['src']} ({placed[r['src']]}) -> {r['dst']} ({placed[r['dst']]})"
        for r in rows
        if (placed[r["src"]], placed[r["dst"]]) not in SUPPORTED_REFERENCES
    ]
    assert unsupported == []


def test_the_tables_left_out_of_sharding_are_left_out_for_their_reason(admin_conn: Conn) -> None:
    owned = building_tables(admin_conn)
    # Each exemption names a table that exists and names a building: none goes stale.
    assert set(NOT_DISTRIBUTED) <= set(owned)
    # audit_log: rows of no building are what keep it off the shards.
    assert not owned["audit_log"]["attnotnull"]
    # login_emails: the one global key of the schema, readable by the owner alone.
    key = admin_conn.execute(
        "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint"
        " WHERE conname = 'login_emails_pkey'"
    ).fetchone()
    assert key == {"d": "PRIMARY KEY (email_key)"}
    privileges = admin_conn.execute(
        "SELECT has_table_privilege('parkshare_app', 'parkshare.login_emails',"
        " 'SELECT, INSERT, UPDATE, DELETE') AS any"
    ).fetchone()
    assert privileges == {"any": False}


def test_an_address_taken_in_another_building_is_email_taken(database: TestDb) -> None:
    first, second = Garage.create(database), Garage.create(database)
    try:
        email = f"wanda-{uuid.uuid4().hex[:6]}@example.test"
        user = first.one(
            first.admin_id,
            "SELECT id FROM parkshare.create_user(%s, NULL, 'Wanda', 'resident')",
            (email,),
        )["id"]
        with pytest.raises(Problem) as taken:
            second.one(
                second.admin_id,
                "SELECT id FROM parkshare.create_user(%s, NULL, 'Twin', 'resident')",
                (email.upper(),),
            )
        assert taken.value.code == "email_taken"
        found = first.system(
            "SELECT user_id, building_id FROM parkshare.login_lookup(%s)", (email.upper(),)
        )
        assert (found["user_id"], found["building_id"]) == (user, first.building_id)
    finally:
        first.close()
        second.close()


def test_the_directory_follows_every_address(database: TestDb) -> None:
    garage = Garage.create(database)
    try:
        user = garage.user("Xavier")
        with admin_connect(database.admin_url) as admin:
            before = admin.execute(
                "SELECT email FROM parkshare.users WHERE id = %s", (user,)
            ).fetchone()
            assert before is not None
            moved = f"xavier-{uuid.uuid4().hex[:6]}@example.test"
            admin.execute("UPDATE parkshare.users SET email = %s WHERE id = %s", (moved, user))
            directory = admin.execute(
                "SELECT email_key FROM parkshare.login_emails WHERE user_id = %s", (user,)
            ).fetchall()
            assert [d["email_key"] for d in directory] == [moved]
            # The old address is free again, in any building.
            garage.one(
                garage.admin_id,
                "SELECT id FROM parkshare.create_user(%s, NULL, 'Yara', 'resident')",
                (before["email"],),
            )
            assert directory_drift(admin) == 0
    finally:
        garage.close()
