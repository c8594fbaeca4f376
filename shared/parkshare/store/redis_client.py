"""The process-wide Redis client, created on first use (the serverless runtime has no
startup hook), like the database pool."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from parkshare.config import get_settings
from parkshare.store.embedded import resolve_urls

_client: aioredis.Redis | None = None
_lock = asyncio.Lock()

# Redis is for speed, never for correctness: give up quickly rather than stall a request.
TIMEOUT_SECONDS = 1.0


async def get_redis() -> aioredis.Redis:
    global _client
    if _client is None:
        async with _lock:
            if _client is None:
                _client = aioredis.Redis.from_url(
                    resolve_urls(get_settings()).redis_url,
                    socket_timeout=TIMEOUT_SECONDS,
                    socket_connect_timeout=TIMEOUT_SECONDS,
                )
    return _client


async def close_redis() -> None:
    global _client
    if _client is not None:
        await _client.aclose()
        _client = None
