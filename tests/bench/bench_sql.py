"""`just bench-sql`: the `reserve` procedure called directly, the baseline for HTTP benchmarks.

Two runs against a fresh, migrated database on the configured server (DATABASE_URL, else the
embedded one):
- distinct: 16 connections, each booking its own spot in successive 15-minute windows;
- race: 16 connections released together at one spot and window, round after round.
Each booking is one transaction as the functions run it: set the tenant context, call
`parkshare.reserve`, commit.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from parkshare.config import get_settings
from parkshare.store.db import set_context
from parkshare.store.embedded import app_url_from_admin, resolve_urls, with_database
from parkshare.store.migrate import migrate

CONCURRENCY = 16
SLOT = timedelta(minutes=15)


@dataclass
class Fixture:
    building_id: uuid.UUID
    parkers: list[uuid.UUID]
    spots: list[uuid.UUID]
    app_url: str
    # Each parker signed in once, as a login does: every transaction acting for a user
    # carries a session that has not ended (parkshare.ps_enter checks it).
    sessions: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def session(self, user: uuid.UUID) -> uuid.UUID:
        if user not in self.sessions:
            self.sessions[user] = start_session(self.app_url, user)
        return self.sessions[user]

    def token(self, user: uuid.UUID) -> str:
        """An access token of `user`, in their session."""
        from parkshare.tokens import Principal, issue_access_token

        principal = Principal(user, self.building_id, "resident", session_id=self.session(user))
        return issue_access_token(principal)


def start_session(app_url: str, user: uuid.UUID) -> uuid.UUID:
    """A session of `user`, begun by the procedure a login calls."""
    session = uuid.uuid4()
    with psycopg.connect(app_url) as conn:
        conn.execute(
            "SELECT parkshare.start_session(%s, %s, %s, now() + interval '1 day', 'password',"
            " 'bench', NULL)",
            (user, uuid.uuid4().hex, session),
        )
    return session


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def build_fixture(admin_url: str, app_url: str, parkers: int, spots: int) -> Fixture:
    with psycopg.connect(admin_url, row_factory=dict_row) as admin:
        row = admin.execute(
            "SELECT * FROM parkshare.create_building('Bench', 'Europe/Paris', %s, NULL, 'Admin')",
            (f"admin-{uuid.uuid4().hex[:8]}@bench.test",),
        ).fetchone()
        assert row is not None
    building_id, admin_id = row["building_id"], row["admin_id"]
    now = datetime.now(UTC)
    with psycopg.connect(app_url, row_factory=dict_row) as conn:
        set_context(conn, building_id, admin_id, start_session(app_url, admin_id))
        owner = conn.execute(
            "SELECT id FROM parkshare.create_user(%s, NULL, 'Owner', 'resident')",
            (f"owner-{uuid.uuid4().hex[:8]}@bench.test",),
        ).fetchone()
        assert owner is not None
        parker_ids = []
        for i in range(parkers):
            user = conn.execute(
                "SELECT id FROM parkshare.create_user(%s, NULL, %s, 'resident')",
                (f"parker{i}-{uuid.uuid4().hex[:8]}@bench.test", f"Parker {i}"),
            ).fetchone()
            assert user is not None
            parker_ids.append(user["id"])
            conn.execute("SELECT parkshare.grant_credits(%s, 1000000, 'benchmark')", (user["id"],))
        conn.commit()  # the owner exists for the session's own connection
        set_context(conn, building_id, owner["id"], start_session(app_url, owner["id"]))
        spot_ids = []
        for i in range(spots):
            spot = conn.execute(
                "SELECT id FROM parkshare.add_spot(%s, NULL, NULL)", (f"S-{i:03d}",)
            ).fetchone()
            assert spot is not None
            spot_ids.append(spot["id"])
            conn.execute(
                "SELECT parkshare.set_availability(%s, %s, %s, true, false)",
                (spot["id"], now - timedelta(hours=1), now + timedelta(days=29)),
            )
        conn.commit()
    return Fixture(building_id, parker_ids, spot_ids, app_url)


async def reserve_once(
    conn: psycopg.AsyncConnection[dict[str, object]],
    fx: Fixture,
    user_id: uuid.UUID,
    spot_id: uuid.UUID,
    start: datetime,
    run: Run,
) -> None:
    session = fx.session(user_id)
    began = time.perf_counter()
    try:
        async with conn.transaction():
            await conn.execute(
                "SELECT parkshare.ps_enter(%s, %s, %s)", (fx.building_id, user_id, session)
            )
            await conn.execute(
                "SELECT id FROM parkshare.reserve(%s, %s, %s)", (spot_id, start, start + SLOT)
            )
        run.outcomes["booked"] += 1
    except psycopg.Error as exc:
        name = (exc.diag.constraint_name or exc.sqlstate or "error") if exc.diag else "error"
        run.outcomes[name] += 1
    run.latencies_ms.append((time.perf_counter() - began) * 1000)


def lane(items: list[uuid.UUID], n: int) -> list[uuid.UUID]:
    """The n-th group of CONCURRENCY parkers or spots: one run's own, so that runs never
    meet in time (a faster database no longer runs one out of its offered days into the
    next one's)."""
    return items[n * CONCURRENCY : (n + 1) * CONCURRENCY]


async def distinct_spots(app_url: str, fx: Fixture, seconds: float, group: int = 0) -> Run:
    """Each connection books its own spot in successive windows from now on, as the
    `group`-th lane of parkers and spots."""
    run = Run()
    parkers, spots = lane(fx.parkers, group), lane(fx.spots, group)
    base = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
    deadline = time.perf_counter() + seconds

    async def worker(i: int) -> None:
        async with await psycopg.AsyncConnection.connect(app_url, row_factory=dict_row) as conn:
            k = 0
            while time.perf_counter() < deadline:
                await reserve_once(conn, fx, parkers[i], spots[i], base + k * SLOT, run)
                k += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
    run.seconds = time.perf_counter() - began
    return run


async def race_one_spot(app_url: str, fx: Fixture, rounds: int) -> Run:
    run = Run()
    spot = fx.spots[-1]
    base = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
    barrier = asyncio.Barrier(CONCURRENCY)

    async def worker(i: int) -> None:
        async with await psycopg.AsyncConnection.connect(app_url, row_factory=dict_row) as conn:
            for r in range(rounds):
                await barrier.wait()
                parker = fx.parkers[CONCURRENCY + i]
                await reserve_once(conn, fx, parker, spot, base + r * SLOT, run)

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CONCURRENCY)))
    run.seconds = time.perf_counter() - began
    return run


def queue_requests(
    app_url: str, fx: Fixture, residents: list[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    """Five waiting requests of each of `residents`, for windows past every offer (so nothing
    can serve them): the queue of a busy morning, elsewhere in time than the bookings made.
    Answers (user, request id) of those that wait."""
    past_offers = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
        days=29, hours=2
    )
    waiting: list[tuple[uuid.UUID, str]] = []
    with psycopg.connect(app_url, row_factory=dict_row) as conn:
        for user in residents:
            set_context(conn, fx.building_id, user, fx.session(user))
            for k in range(5):
                start = past_offers + k * 2 * timedelta(hours=1)
                row = conn.execute(
                    "SELECT parkshare.make_request(%s, %s) AS r",
                    (start, start + timedelta(hours=1)),
                ).fetchone()
                if row is not None and row["r"]["status"] == "waiting":
                    waiting.append((user, row["r"]["id"]))
            conn.commit()
    return waiting


def withdraw_requests(app_url: str, fx: Fixture, requests: list[tuple[uuid.UUID, str]]) -> None:
    """Each resident withdraws their own, as the app's Withdraw does."""
    with psycopg.connect(app_url) as conn:
        for user, request_id in requests:
            set_context(conn, fx.building_id, user, fx.session(user))
            conn.execute("SELECT parkshare.withdraw_request(%s)", (request_id,))
            conn.commit()


def probe_us(admin_url: str, fx: Fixture, calls: int = 2000) -> float:
    """What matching costs a window that opens while nobody waits for it: the microseconds of
    one `ps_match_window` (every offer and cancellation runs it), called `calls` times."""
    start = datetime.now(UTC) + timedelta(days=2)
    with psycopg.connect(admin_url) as conn:
        # In one statement, so that the figure is the database's work and not round trips.
        began = time.perf_counter()
        conn.execute(
            "SELECT sum(parkshare.ps_match_window(%(b)s, %(s)s, %(t)s + k * %(slot)s,"
            " %(t)s + (k + 1) * %(slot)s)) FROM generate_series(0, %(n)s - 1) k",
            {"b": fx.building_id, "s": fx.spots[0], "t": start, "slot": SLOT, "n": calls},
        )
        elapsed = time.perf_counter() - began
        conn.rollback()
    return elapsed / calls * 1e6


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(name: str, run: Run) -> str:
    booked = run.outcomes["booked"]
    others = ", ".join(f"{k}={v}" for k, v in sorted(run.outcomes.items()) if k != "booked")
    attempts_per_s = len(run.latencies_ms) / run.seconds
    p50, p99 = percentile(run.latencies_ms, 50), percentile(run.latencies_ms, 99)
    return (
        f"{name:<9} attempts={sum(run.outcomes.values()):>6}  booked={booked:>6}  "
        f"booked/s={booked / run.seconds:>8.1f}  attempts/s={attempts_per_s:>8.1f}  "
        f"p50={p50:6.2f} ms  p99={p99:6.2f} ms" + (f"  [{others}]" if others else "")
    )


@contextmanager
def fresh_database() -> Iterator[tuple[str, str]]:
    settings = get_settings()
    urls = resolve_urls(settings)
    name = f"ps_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(urls.admin_database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        admin_url = with_database(urls.admin_database_url, name)
        password = settings.app_db_password
        secret = password.get_secret_value() if password else None
        app_url = app_url_from_admin(admin_url, secret)
        migrate(admin_url, app_password=secret)
        yield admin_url, app_url
    finally:
        with psycopg.connect(urls.admin_database_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the distinct run")
    parser.add_argument("--rounds", type=int, default=100, help="rounds of the race")
    args = parser.parse_args()

    with fresh_database() as (admin_url, app_url):
        fx = build_fixture(admin_url, app_url, parkers=2 * CONCURRENCY, spots=CONCURRENCY + 1)
        distinct = asyncio.run(distinct_spots(app_url, fx, args.seconds))
        race = asyncio.run(race_one_spot(app_url, fx, args.rounds))
    print(f"reserve procedure, direct SQL, {CONCURRENCY} connections")
    print(report("distinct", distinct))
    print(report("race", race))
    expected = args.rounds
    if race.outcomes["booked"] != expected:
        raise SystemExit(f"race: {race.outcomes['booked']} bookings, expected {expected}")


if __name__ == "__main__":
    main()
