"""Events leave through the outbox: a procedure writes them in the transaction of the change
(`ps_emit`, which also NOTIFYs `parkshare_outbox` with the building's id, delivered at
commit), and a publisher off every request's path appends them to the building's Redis
stream (`XADD`, the stream id becoming the event id) and marks them published.

The publisher (`Publisher`) runs in the relay's process and in the worker's. It LISTENs,
publishes each building that was notified, and catches up on everything waiting whenever
it (re)connects; the worker's sweep is the backstop for what a notification never told.
One publisher per building at a time (a try-lock), so any number of them is safe and a
stream receives its events in outbox order.

Publishing is at least once: a crash between `XADD` and the mark publishes again on the next
try, so consumers tolerate a repeat. Redis being down only delays events: the writes that
caused them committed already, and cost no more for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from parkshare import metrics
from parkshare.config import get_settings
from parkshare.live.stream import entry_fields, stream_key
from parkshare.store import db
from parkshare.store.embedded import resolve_urls
from parkshare.store.queries import load

log = logging.getLogger("parkshare.live.events")
SQL = load("events")
CHANNEL = "parkshare_outbox"
BATCH = 500
# After Redis fails, a publisher waits this long before it tries again.
PAUSE_AFTER_FAILURE_SECONDS = 1.0
RECONNECT_SECONDS_MAX = 5.0
COALESCE_SECONDS = 0.002


@dataclass(frozen=True, slots=True)
class Pending:
    """An outbox row on its way to the stream."""

    outbox_id: int
    building_id: UUID
    user_id: UUID | None
    type: str
    data: dict[str, Any]
    created_at: datetime

    def fields(self) -> dict[str, str]:
        return entry_fields(self.type, self.created_at, self.data, self.user_id, self.outbox_id)


def _start_of(event: Pending) -> datetime:
    start = str(event.data["reservation"]["start"])
    return datetime.fromisoformat(start.replace("Z", "+00:00"))


Transactions = Any  # a callable answering an async context manager of a connection


async def publish_building(
    transaction: Transactions,
    redis: aioredis.Redis,
    building_id: UUID,
    *,
    listening: bool = False,
) -> int:
    """Publish the building's waiting events, in outbox order; the number published. Raises
    what Redis or PostgreSQL raise: what it could not publish waits for the next try.

    `listening`: the caller hears every commit's notification, so what committed while it
    held the lock will wake it again; otherwise it looks once more after letting go."""
    total = 0
    while True:
        # The claim takes the building's publishing lock for this transaction, so the stream
        # receives events in outbox order. A publisher that finds it taken claims nothing and
        # leaves: the holder looks again after letting go (or is woken again, listening).
        async with transaction() as conn:
            rows = await (
                await conn.execute(SQL["claim"], {"building_id": building_id, "limit": BATCH})
            ).fetchall()
            pending = [
                Pending(r["id"], building_id, r["user_id"], r["type"], r["data"], r["created_at"])
                for r in rows
            ]
            if pending:
                stream_ids = await _append(redis, building_id, pending)
                metrics.published(p.type for p in pending)
                await conn.execute(
                    SQL["published"],
                    {"ids": [p.outbox_id for p in pending], "stream_ids": stream_ids},
                )
            created = [p for p in pending if p.type == "reservation.created"]
            moments = [_start_of(p) for p in created]
            if created:
                # A new booking's first moment may be its parker's reminder, before its start.
                ids = [UUID(str(p.data["reservation"]["id"])) for p in created]
                reminder = await (
                    await conn.execute(
                        SQL["first_reminder"], {"building_id": building_id, "reservations": ids}
                    )
                ).fetchone()
                if reminder and reminder["at"] is not None:
                    moments.append(reminder["at"])
        total += len(pending)
        if not pending:
            return total
        if moments:
            await _wake_timer_at(min(moments))
        if listening:
            if len(pending) < BATCH:
                return total
            continue
        # Only after letting go of the lock: a writer that found it taken committed before.
        async with transaction() as conn:
            row = await (
                await conn.execute(SQL["waiting_in"], {"building_id": building_id})
            ).fetchone()
        if not (row and row["waiting"]):
            return total


async def _wake_timer_at(moment: datetime) -> None:
    """The worker's timer must not sleep past a booking that starts (or reminds) sooner.
    Only once the events are marked published: were Redis to go between the append and the mark, the
    events would go out twice. A timer not brought forward is late by at most the sweep's
    period, which sets it again."""
    from parkshare.live import schedule  # RQ: only the processes that publish need it

    try:
        await asyncio.to_thread(schedule.wake_at, moment)
    except RedisError as exc:
        log.warning("could not bring the worker's timer forward (%r); the sweep will", exc)


async def waiting_buildings(transaction: Transactions) -> list[UUID]:
    async with transaction() as conn:
        rows = await (await conn.execute(SQL["waiting"])).fetchall()
    return [row["building_id"] for row in rows]


async def _append(redis: aioredis.Redis, building_id: UUID, pending: list[Pending]) -> list[str]:
    maxlen = get_settings().stream_maxlen
    key = stream_key(building_id)
    async with redis.pipeline(transaction=False) as pipe:
        for event in pending:
            # Approximate trimming (~) lets Redis drop whole nodes: cheap, and never below
            # `maxlen` entries, which is the history a reconnecting client can replay.
            pipe.xadd(key, event.fields(), maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
        ids = await pipe.execute()
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


async def publish(building_id: UUID) -> int:
    """Publish one building's waiting events now, with the process's pool and Redis client
    (what the sweep does for every building)."""
    from parkshare.store.redis_client import get_redis

    return await publish_building(_system_transactions, await get_redis(), building_id)


async def publish_waiting() -> int:
    """Publish every building's waiting events with the process's pool and Redis client
    (the worker's sweep: the backstop for what no notification told a publisher)."""
    total = 0
    for building in await waiting_buildings(_system_transactions):
        total += await publish(building)
    return total


@asynccontextmanager
async def _system_transactions() -> AsyncIterator[db.AsyncConn]:
    async with db.transaction(None, None) as conn:
        yield conn


class Publisher:
    """The process's publisher: its own PostgreSQL connections (one listening, one writing)
    and Redis client, so it shares nothing with the event loop or pool of anything else in
    the process (the worker runs it on a thread of its own)."""

    def __init__(self) -> None:
        urls = resolve_urls(get_settings())
        self._app_url = urls.app_database_url
        self._redis_url = urls.redis_url
        self._conn: db.AsyncConn | None = None
        self._redis: aioredis.Redis | None = None
        self._notified: set[UUID] = set()
        self._wake = asyncio.Event()
        # Set when the publisher listens (tests and the relay's readiness wait on it).
        self.listening = asyncio.Event()

    async def run(self) -> None:
        """Listen and publish until cancelled."""
        publishing = asyncio.create_task(self._publish_notified())
        try:
            await self._listen()
        finally:
            publishing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publishing
            await self._close()

    async def _listen(self) -> None:
        delay = 0.1
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._app_url, autocommit=True
                ) as listener:
                    await listener.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    delay = 0.1
                    # What committed while nobody listened (a start, a lost connection).
                    self._notify_all_waiting = True
                    self._wake.set()
                    async for note in listener.notifies():
                        with contextlib.suppress(ValueError):
                            self._notified.add(UUID(note.payload))
                        self._wake.set()
            except psycopg.OperationalError as exc:
                self.listening.clear()
                log.warning("outbox listener lost PostgreSQL (%r); again in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_SECONDS_MAX)

    _notify_all_waiting = False

    async def _publish_notified(self) -> None:
        while True:
            await self._wake.wait()
            # A moment for the notifications of commits landing together to arrive, so that
            # a busy building's events go out in one batch rather than one by one.
            await asyncio.sleep(COALESCE_SECONDS)
            self._wake.clear()
            try:
                if self._notify_all_waiting:
                    self._notify_all_waiting = False
                    self._notified |= set(await waiting_buildings(self._transaction))
                while self._notified:
                    building = self._notified.pop()
                    try:
                        await publish_building(
                            self._transaction, await self._client(), building, listening=True
                        )
                    except BaseException:
                        self._notified.add(building)
                        raise
            except (RedisError, OSError) as exc:
                log.warning("events wait: Redis unavailable (%r)", exc)
                await self._retry_later()
            except psycopg.Error as exc:
                log.warning("events wait: database error (%r)", exc)
                await self._close_connection()
                await self._retry_later()

    async def _retry_later(self) -> None:
        await asyncio.sleep(PAUSE_AFTER_FAILURE_SECONDS)
        self._wake.set()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[db.AsyncConn]:
        if self._conn is None or self._conn.closed:
            self._conn = await db.connect_app(self._app_url)
        async with self._conn.transaction():
            await db.aset_context(self._conn, None, None)
            yield self._conn

    async def _client(self) -> aioredis.Redis:
        if self._redis is None:
            self._redis = aioredis.Redis.from_url(
                self._redis_url, socket_timeout=5, socket_connect_timeout=2
            )
        return self._redis

    async def _close_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                await self._conn.close()
            self._conn = None

    async def _close(self) -> None:
        await self._close_connection()
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.aclose()
            self._redis = None


def run_in_thread() -> tuple[Any, Any]:
    """A publisher on a thread of its own with its own event loop (the worker's main thread
    belongs to RQ); answers (thread, stop) where stop() ends it."""
    import threading

    loop = asyncio.new_event_loop()
    publisher = Publisher()
    task: asyncio.Task[None] | None = None

    def main() -> None:
        nonlocal task
        asyncio.set_event_loop(loop)
        task = loop.create_task(publisher.run())
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
        loop.close()

    def stop() -> None:
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    thread = threading.Thread(target=main, name="publisher", daemon=True)
    thread.start()
    return thread, stop
