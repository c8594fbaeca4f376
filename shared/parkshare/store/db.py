"""Database access: the app role's async pool, and sync connections for the CLI.

Every request runs in one transaction that first enters the tenant context which the
row-level security policies read (`parkshare.ps_enter(building, user, session)`: set with
`is_local = true`, so the context ends with the transaction and a pooled connection never
carries one request's identity into the next). For a user, ps_enter also refuses a session
that has ended or never began: the one check of sessions, for reads and writes alike.

The session of the caller's access token comes from `acting_session`, set once per request
where the token is verified: every transaction of that request then carries it without
each call passing it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import AsyncConnectionPool

from parkshare.config import get_settings
from parkshare.store.embedded import resolve_urls

_SEARCH_PATH = "SET search_path = parkshare, public"
# The tenant context of the transaction, and the check that the token's session still holds
# (parkshare.ps_enter, in sql/repeatable/context.sql).
_SET_CONTEXT = "SELECT parkshare.ps_enter(%s, %s, %s)"
# The first statement of a snapshot's transaction (before it any query would fix the snapshot).
_READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
# Counts transactions when set (a list of one int): how the tests prove that a GraphQL
# query's reads are batched, not one per spot.
transactions_counted: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "transactions_counted", default=None
)
# Per request (each request runs in its own task, which copies the context it starts with).
acting_session: contextvars.ContextVar[UUID | None] = contextvars.ContextVar(
    "acting_session", default=None
)

T = TypeVar("T")
AsyncConn = psycopg.AsyncConnection[DictRow]
Pool = AsyncConnectionPool[AsyncConn]

# Below PgBouncer's and cloud load balancers' usual idle timeouts, so the pool closes an idle
# connection before anything between it and the server drops it.
IDLE_SECONDS_MAX = 300.0
APPLICATION_NAME = "parkshare"
LIFETIME_SECONDS_MAX = 1800.0

# The serverless runtime has no startup hook: the pool opens on first use, once.
_pool: Pool | None = None
_pool_lock = asyncio.Lock()


async def _configure(conn: AsyncConn) -> None:
    await conn.execute(_SEARCH_PATH)
    # The SET opened a transaction (autocommit is off); the pool wants an idle connection.
    await conn.commit()


async def get_pool(app_url: str | None = None) -> Pool:
    """The process-wide pool of the app role; `app_url` matters only on the first call."""
    global _pool
    if _pool is not None:
        return _pool
    async with _pool_lock:
        if _pool is None:
            settings = get_settings()
            url = app_url if app_url is not None else resolve_urls(settings).app_database_url
            # No check on checkout: it would cost every request a round trip. A connection
            # the server dropped fails its first statement instead, and `run` retries on a
            # fresh one; idle and old connections are closed before that happens much.
            pool: Pool = AsyncConnectionPool(
                url,
                open=False,
                min_size=settings.db_pool_min,
                max_size=settings.db_pool_max,
                max_idle=IDLE_SECONDS_MAX,
                max_lifetime=LIFETIME_SECONDS_MAX,
                # Named, so that pg_stat_activity tells the application's connections apart.
                kwargs={
                    "autocommit": False,
                    "row_factory": dict_row,
                    "application_name": APPLICATION_NAME,
                },
                configure=_configure,
                connection_class=psycopg.AsyncConnection[DictRow],
            )
            await pool.open(wait=True)
            _pool = pool
    return _pool


async def close_pool() -> None:
    global _pool
    async with _pool_lock:
        if _pool is not None:
            await _pool.close()
            _pool = None


async def aset_context(conn: AsyncConn, building_id: UUID | None, user_id: UUID | None) -> None:
    await conn.execute(_SET_CONTEXT, (building_id, user_id, acting_session.get()))


def set_context(
    conn: psycopg.Connection[Any],
    building_id: UUID | None,
    user_id: UUID | None,
    session_id: UUID | None = None,
) -> None:
    conn.execute(_SET_CONTEXT, (building_id, user_id, session_id))


async def run(
    building_id: UUID | None, user_id: UUID | None, work: Callable[[AsyncConn], Awaitable[T]]
) -> T:
    """`work` in one transaction with the tenant context, retried once if PostgreSQL chose
    it as the victim of a serialization failure or deadlock (the retry usually answers the
    real outcome, such as `spot_taken`), or if the connection broke before the commit was
    sent (the server restarted, a proxy dropped an idle connection): the server rolls back
    what it had of an unfinished transaction, so running it again on a fresh connection is
    safe. A connection lost during the commit is not retried: that commit may have landed."""
    for attempt in (1, 2):
        committing = False
        try:
            async with transaction(building_id, user_id) as conn:
                result = await work(conn)
                committing = True
            return result
        except psycopg.OperationalError as exc:
            # No SQLSTATE: the server never answered (a broken connection, not a refusal).
            if attempt == 2 or committing or exc.sqlstate is not None:
                raise
            # Whatever broke this one (a restart, a proxy) broke its idle siblings too: the
            # pool checks them once now, so the retry gets a live one.
            await (await get_pool()).check()
        except psycopg.Error as exc:
            if attempt == 2 or exc.sqlstate not in ("40001", "40P01"):
                raise
    raise AssertionError("unreachable")


async def value(
    building_id: UUID | None,
    user_id: UUID | None,
    query: str,
    params: Mapping[str, Any] | None = None,
) -> Any:
    """The first column of the one row `query` answers, run as `run` runs work: the whole
    database side of a function that calls one procedure."""

    async def work(conn: AsyncConn) -> Any:
        row = await (await conn.execute(query, params)).fetchone()
        if row is None:
            raise LookupError("the query answered no row")
        return next(iter(row.values()))

    return await run(building_id, user_id, work)


async def json_text(
    building_id: UUID | None,
    user_id: UUID | None,
    query: str,
    params: Mapping[str, Any] | None = None,
) -> str:
    """As `value`, for a query whose one column is JSON that goes to the client as it is: its
    text as PostgreSQL wrote it, not parsed into Python only to be written out again (for
    the garage of 500 spots, ~200 KB: ~9 ms of parsing and encoding per request)."""

    async def work(conn: AsyncConn) -> str:
        cursor = conn.cursor()
        cursor.adapters.register_loader("json", TextLoader)
        cursor.adapters.register_loader("jsonb", TextLoader)
        row = await (await cursor.execute(query, params)).fetchone()
        if row is None:
            raise LookupError("the query answered no row")
        return str(next(iter(row.values())))

    return await run(building_id, user_id, work)


@asynccontextmanager
async def transaction(building_id: UUID | None, user_id: UUID | None) -> AsyncIterator[AsyncConn]:
    """One transaction on a pooled app connection, committed unless the block raises.

    Pipeline mode sends BEGIN, the context and the block's first statement in one round trip:
    a request is then two round trips (that flush, and COMMIT) instead of four.
    """
    pool = await get_pool()
    counted = transactions_counted.get()
    if counted is not None:
        counted[0] += 1
    async with pool.connection() as conn, conn.pipeline(), conn.transaction():
        await aset_context(conn, building_id, user_id)
        yield conn


@asynccontextmanager
async def snapshot(building_id: UUID | None, user_id: UUID | None) -> AsyncIterator[AsyncConn]:
    """One READ ONLY, REPEATABLE READ transaction on a pooled app connection, for a long read
    that must see one consistent state (an export streamed for as long as the client takes).
    No pipeline: a server-side cursor fetches in round trips of its own. Rolled back at the
    end, as there is nothing to commit."""
    pool = await get_pool()
    async with pool.connection() as conn, conn.transaction(force_rollback=True):
        await conn.execute(_READ_ONLY_SNAPSHOT)
        await aset_context(conn, building_id, user_id)
        yield conn


async def connect_app(app_url: str) -> AsyncConn:
    """One async connection as the app role, configured like the pool's, for a process part
    that must not share the pool (the outbox publisher)."""
    conn = await psycopg.AsyncConnection.connect(app_url, autocommit=False, row_factory=dict_row)
    await _configure(conn)
    return conn


def admin_connect(admin_url: str) -> psycopg.Connection[DictRow]:
    """A sync autocommit connection as the migrator, for the CLI's out-of-band work."""
    return psycopg.connect(admin_url, autocommit=True, row_factory=dict_row)


def app_connect(app_url: str) -> psycopg.Connection[DictRow]:
    """A sync connection as the app role, configured like the pool's connections."""
    conn = psycopg.connect(app_url, autocommit=False, row_factory=dict_row)
    conn.execute(_SEARCH_PATH)
    conn.commit()
    return conn
