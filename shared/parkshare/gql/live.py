"""Subscriptions: the building's Redis stream, the very one the relay reads, filtered for the
subscriber. Building isolation is the stream key, taken from the verified token."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Collection
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from parkshare.config import get_settings
from parkshare.live.stream import Entry, stream_key
from parkshare.store.embedded import resolve_urls
from parkshare.tokens import Principal

BLOCK_MS = 5_000


async def stream(
    principal: Principal, types: Collection[str], after: str | None
) -> AsyncIterator[dict[str, Any]]:
    """Events of the caller's building of `types` (credits only the caller's own), from after
    `after` (a stream id) or from now; ends when the caller's token expires."""
    # Its own connection: a blocking read must not hold one of the shared client's.
    client = aioredis.Redis.from_url(resolve_urls(get_settings()).redis_url)
    key = stream_key(principal.building_id)
    cursor = after or "$"
    try:
        while principal.expires_at is None or time.time() < principal.expires_at:
            try:
                answer: Any = await client.xread({key: cursor}, count=100, block=BLOCK_MS)
            except RedisError:
                return  # the client subscribes again (with its last id) and loses nothing
            for _, entries in answer or []:
                for entry_id, fields in entries:
                    entry = Entry.read(entry_id, fields)
                    cursor = entry.id
                    if entry.type in types and entry.for_user(principal.user_id):
                        yield entry.client_event()
    finally:
        await client.aclose()
