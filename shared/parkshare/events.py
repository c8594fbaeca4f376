"""Events leave through the outbox: a procedure writes them in the transaction of the change,
and after the commit they are published to the building's Redis stream (`XADD`, the stream
id becoming the event id) and marked published.

Publishing is at least once: a crash between `XADD` and the mark publishes again on the next
try, so consumers tolerate a repeat. Redis being down only delays events; the write that
caused them has committed already, and the next publish or the worker's sweep catches up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from redis.exceptions import RedisError

from parkshare import db, metrics
from parkshare.config import get_settings
from parkshare.queries import load
from parkshare.redis_client import get_redis

log = logging.getLogger("parkshare.events")
SQL = load("events")
STREAM_PREFIX = "parkshare:events:"
BATCH = 500
# After Redis fails, writes skip publishing this long instead of each paying for a timeout.
PAUSE_AFTER_FAILURE_SECONDS = 1.0
# The events after which the scheduled jobs of a reservation change (parkshare.jobs).
SCHEDULING_TYPES = frozenset({"reservation.created", "reservation.cancelled"})

_paused_until = 0.0


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
        # Stream entries are flat string maps; `data` travels as the JSON clients receive.
        return {
            "type": self.type,
            "at": _iso(self.created_at),
            "data": json.dumps(self.data, separators=(",", ":")),
            "user": "" if self.user_id is None else str(self.user_id),
            "outbox": str(self.outbox_id),
        }


def stream_key(building_id: UUID | str) -> str:
    return f"{STREAM_PREFIX}{building_id}"


def _iso(moment: datetime) -> str:
    from parkshare.http import iso

    return iso(moment)


async def publish(building_id: UUID) -> int:
    """Publish the building's waiting events, in outbox order; the number published.

    Never raises: it runs after a write has committed, and that write's answer must not
    depend on Redis. What it could not publish waits for the next try.
    """
    global _paused_until
    if time.monotonic() < _paused_until:
        return 0
    try:
        return await _publish(building_id)
    except (RedisError, OSError) as exc:
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_SECONDS
        log.warning("events of building %s wait: Redis unavailable (%r)", building_id, exc)
    except psycopg.Error as exc:
        log.warning("events of building %s wait: database error (%r)", building_id, exc)
    return 0


async def publish_waiting() -> int:
    """Publish every building's waiting events (the sweep, and writes with no building)."""
    async with db.transaction(None, None) as conn:
        rows = await (await conn.execute(SQL["waiting"])).fetchall()
    total = 0
    for row in rows:
        total += await publish(row["building_id"])
    return total


async def _publish(building_id: UUID) -> int:
    total = 0
    while True:
        # The claim takes the building's publishing lock for this transaction, so the stream
        # receives events in outbox order. A publisher that finds it taken leaves: the holder
        # looks again after letting go, and our events committed before we tried.
        async with db.transaction(None, None) as conn:
            lock = await (await conn.execute(SQL["lock"], {"building_id": building_id})).fetchone()
            if not (lock and lock["locked"]):
                return total
            rows = await (
                await conn.execute(SQL["claim"], {"building_id": building_id, "limit": BATCH})
            ).fetchall()
            pending = [
                Pending(r["id"], building_id, r["user_id"], r["type"], r["data"], r["created_at"])
                for r in rows
            ]
            if pending:
                stream_ids = await _append(building_id, pending)
                metrics.published(p.type for p in pending)
                if any(p.type in SCHEDULING_TYPES for p in pending):
                    from parkshare import jobs

                    await asyncio.to_thread(jobs.follow, pending)
                await conn.execute(
                    SQL["published"],
                    {"ids": [p.outbox_id for p in pending], "stream_ids": stream_ids},
                )
        total += len(pending)
        # Only after letting go of the lock: a writer that found it taken committed before.
        if not await _waiting(building_id):
            return total


async def _waiting(building_id: UUID) -> bool:
    async with db.transaction(None, None) as conn:
        row = await (await conn.execute(SQL["waiting_in"], {"building_id": building_id})).fetchone()
    return bool(row and row["waiting"])


async def _append(building_id: UUID, pending: list[Pending]) -> list[str]:
    redis = await get_redis()
    maxlen = get_settings().stream_maxlen
    key = stream_key(building_id)
    async with redis.pipeline(transaction=False) as pipe:
        for event in pending:
            # Approximate trimming (~) lets Redis drop whole nodes: cheap, and never below
            # `maxlen` entries, which is the history a reconnecting client can replay.
            pipe.xadd(key, event.fields(), maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
        ids = await pipe.execute()
    return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]
