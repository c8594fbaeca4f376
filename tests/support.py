"""A building to test against: residents, spots and bookings made through the procedures.

Every call runs as one transaction of the application role with the tenant context set,
exactly as the functions will; database errors come back as the contract's Problems.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import DictRow

from parkshare.problems import Problem, db_errors
from parkshare.store.db import admin_connect, app_connect, set_context
from tests.conftest import TestDb

HOUR = timedelta(hours=1)


def now() -> datetime:
    return datetime.now(UTC)


def next_hour(hours_ahead: int = 1) -> datetime:
    """A round hour in the future, so windows read well in failures."""
    return now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_ahead)


def start_session(conn: psycopg.Connection[DictRow], user: UUID) -> UUID:
    """A session of `user`, begun by the procedure a login calls (on the app role's `conn`)."""
    session = uuid.uuid4()
    with db_errors(), conn.transaction():
        set_context(conn, None, None)
        conn.execute(
            "SELECT parkshare.start_session(%s, %s, %s, now() + interval '1 day', 'password',"
            " 'tests', NULL)",
            (user, uuid.uuid4().hex, session),
        )
    return session


@dataclass
class Garage:
    db: TestDb
    building_id: UUID
    admin_id: UUID
    conn: psycopg.Connection[DictRow]
    names: dict[UUID, str] = field(default_factory=dict)
    sessions: dict[UUID, UUID] = field(default_factory=dict)

    @classmethod
    def create(cls, db: TestDb, *, timezone: str = "Europe/Paris", **policy: int) -> Garage:
        with admin_connect(db.admin_url) as admin:
            row = admin.execute(
                "SELECT * FROM parkshare.create_building(%s, %s, %s, NULL, 'Admin')",
                ("Test Building", timezone, f"admin-{uuid.uuid4().hex[:10]}@test.example"),
            ).fetchone()
            assert row is not None
            for column, value in policy.items():
                # The policy procedure arrives with the admin issue; the superuser sets it here.
                admin.execute(
                    psycopg.sql.SQL("UPDATE parkshare.buildings SET {} = %s WHERE id = %s").format(
                        psycopg.sql.Identifier(column)
                    ),
                    (value, row["building_id"]),
                )
        return cls(db, row["building_id"], row["admin_id"], app_connect(db.app_url))

    def close(self) -> None:
        self.conn.close()

    def session(self, user: UUID) -> UUID:
        """The user's session, started (as a login does) the first time it is needed: every
        transaction that acts for a user must carry one that has not ended."""
        if user not in self.sessions:
            try:
                self.sessions[user] = start_session(self.conn, user)
            except Problem:
                # No such user: a session nobody started, which is refused wherever used.
                self.sessions[user] = uuid.uuid4()
        return self.sessions[user]

    def call(self, user: UUID | None, query: str, params: tuple[Any, ...] = ()) -> list[DictRow]:
        """One transaction as `user` of this building, in a session of theirs."""
        session = self.session(user) if user is not None else None
        with db_errors(), self.conn.transaction():
            set_context(self.conn, self.building_id, user, session)
            return self.conn.execute(query, params).fetchall()

    def system(self, query: str, params: tuple[Any, ...] = ()) -> DictRow:
        """One transaction as the app role with no tenant context (the worker, the cron)."""
        with db_errors(), self.conn.transaction():
            set_context(self.conn, None, None)
            row = self.conn.execute(query, params).fetchone()
        assert row is not None
        return row

    def outbox(self, *types: str) -> list[DictRow]:
        """This building's events in outbox order (read by the superuser: the app role
        cannot), optionally only those of the given types."""
        with admin_connect(self.db.admin_url) as admin:
            rows = admin.execute(
                "SELECT * FROM parkshare.outbox WHERE building_id = %s ORDER BY id",
                (self.building_id,),
            ).fetchall()
        return [r for r in rows if not types or r["type"] in types]

    def one(self, user: UUID | None, query: str, params: tuple[Any, ...] = ()) -> DictRow:
        rows = self.call(user, query, params)
        assert len(rows) == 1, rows
        return rows[0]

    # --- people and spots -------------------------------------------------------------

    def user(self, name: str, role: str = "resident") -> UUID:
        row = self.one(
            self.admin_id,
            "SELECT id FROM parkshare.create_user(%s, NULL, %s, %s)",
            (f"{name.lower()}-{uuid.uuid4().hex[:10]}@test.example", name, role),
        )
        self.names[row["id"]] = name
        return UUID(str(row["id"]))

    def spot(self, owner: UUID, label: str | None = None) -> UUID:
        row = self.one(
            owner,
            "SELECT id FROM parkshare.add_spot(%s, NULL, NULL)",
            (label or f"S-{uuid.uuid4().hex[:6]}",),
        )
        return UUID(str(row["id"]))

    def offer(self, owner: UUID, spot: UUID, start: datetime, end: datetime) -> list[DictRow]:
        return self.call(
            owner,
            "SELECT * FROM parkshare.set_availability(%s, %s, %s, true, false)",
            (spot, start, end),
        )

    def withdraw(
        self, owner: UUID, spot: UUID, start: datetime, end: datetime, *, cancel: bool = False
    ) -> list[DictRow]:
        return self.call(
            owner,
            "SELECT * FROM parkshare.set_availability(%s, %s, %s, false, %s)",
            (spot, start, end, cancel),
        )

    def windows(self, spot: UUID) -> list[tuple[datetime, datetime]]:
        rows = self.call(
            self.admin_id,
            "SELECT lower(period) AS s, upper(period) AS e FROM parkshare.availability"
            " WHERE spot_id = %s ORDER BY 1",
            (spot,),
        )
        return [(r["s"], r["e"]) for r in rows]

    # --- bookings and money -----------------------------------------------------------

    def reserve(self, user: UUID, spot: UUID, start: datetime, end: datetime) -> DictRow:
        return self.one(user, "SELECT * FROM parkshare.reserve(%s, %s, %s)", (spot, start, end))

    def cancel(self, user: UUID, reservation: UUID) -> DictRow:
        return self.one(user, "SELECT * FROM parkshare.cancel(%s)", (reservation,))

    def settle(self) -> int:
        row = self.one(self.admin_id, "SELECT parkshare.settle_due() AS n")
        return int(row["n"])

    def grant(self, user: UUID, amount: int, reason: str = "test") -> DictRow:
        return self.one(
            self.admin_id,
            "SELECT * FROM parkshare.grant_credits(%s, %s, %s)",
            (user, amount, reason),
        )

    def balance(self, user: UUID) -> int:
        # Read as the building's admin: the user may be one whose sessions have ended.
        row = self.one(
            self.admin_id, "SELECT balance FROM parkshare.accounts WHERE user_id = %s", (user,)
        )
        return int(row["balance"])

    def reservation(self, reservation: UUID) -> DictRow:
        return self.one(
            self.admin_id, "SELECT * FROM parkshare.reservations WHERE id = %s", (reservation,)
        )

    def audit(self) -> dict[str, int]:
        """Rule 11 recomputed from the entries alone, ignoring the cached balances."""
        row = self.one(
            self.admin_id,
            """
            WITH moves AS (
                SELECT to_account AS account, amount FROM parkshare.ledger_entries
                UNION ALL
                SELECT from_account, -amount FROM parkshare.ledger_entries)
            SELECT
                coalesce(sum(m.amount) FILTER (WHERE a.kind = 'user'), 0) AS users,
                coalesce(sum(m.amount) FILTER (WHERE a.kind = 'escrow'), 0) AS escrow,
                coalesce(-sum(m.amount) FILTER (WHERE a.kind = 'issuance'), 0) AS issued,
                (SELECT coalesce(sum(amount), 0) FROM parkshare.ledger_entries
                  WHERE kind IN ('grant', 'adjustment') AND to_account IN
                    (SELECT id FROM parkshare.accounts WHERE kind = 'user'))
                - (SELECT coalesce(sum(amount), 0) FROM parkshare.ledger_entries
                  WHERE kind = 'adjustment' AND from_account IN
                    (SELECT id FROM parkshare.accounts WHERE kind = 'user')) AS grants,
                (SELECT coalesce(sum(balance), 0) FROM parkshare.accounts
                  WHERE kind = 'user') AS cached_users,
                (SELECT count(*) FROM parkshare.accounts a2 WHERE a2.kind = 'user' AND
                  a2.balance <> (SELECT coalesce(sum(CASE WHEN e.to_account = a2.id
                      THEN e.amount ELSE -e.amount END), 0)
                    FROM parkshare.ledger_entries e
                    WHERE a2.id IN (e.to_account, e.from_account))) AS drifted_accounts
            FROM moves m JOIN parkshare.accounts a ON a.id = m.account
            """,
        )
        return {k: int(v) for k, v in row.items()}

    # --- time -------------------------------------------------------------------------

    def travel(self, delta: timedelta) -> None:
        """Let `delta` pass: every window of this building moves that much into the past.

        The transition triggers forbid rewriting history, which is what this does, so it runs
        as the superuser with triggers off (session_replication_role = replica); constraints
        still hold, and rows move earliest first so no two collide on the way.
        """
        with admin_connect(self.db.admin_url) as admin, admin.transaction():
            admin.execute("SET LOCAL session_replication_role = replica")
            for table in ("availability", "reservations", "requests"):
                ids = admin.execute(
                    psycopg.sql.SQL(
                        "SELECT id FROM parkshare.{} WHERE building_id = %s ORDER BY lower(period)"
                    ).format(psycopg.sql.Identifier(table)),
                    (self.building_id,),
                ).fetchall()
                for row in ids:
                    admin.execute(
                        psycopg.sql.SQL(
                            "UPDATE parkshare.{} SET period = tstzrange(lower(period) - %s,"
                            " upper(period) - %s, '[)') WHERE id = %s"
                        ).format(psycopg.sql.Identifier(table)),
                        (delta, delta, row["id"]),
                    )
            # So do the moments of a booking's check-in.
            admin.execute(
                "UPDATE parkshare.reservations SET checkin_until = checkin_until - %s,"
                " checked_in_at = checked_in_at - %s WHERE building_id = %s",
                (delta, delta, self.building_id),
            )
            # Reminders are due at moments of those windows: they move with them.
            admin.execute(
                "UPDATE parkshare.reminders SET due_at = due_at - %s WHERE building_id = %s",
                (delta, self.building_id),
            )


def problem_code(exc: BaseException) -> str:
    assert isinstance(exc, Problem), exc
    return exc.code
