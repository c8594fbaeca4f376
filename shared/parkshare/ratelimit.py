"""Fixed-window attempt counters in Redis, for login.

If Redis is unreachable the limiter lets the attempt through and logs it: an outage of the
cache must not lock every resident out. Passwords are still verified by argon2, whose cost
already slows guessing down.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import redis.exceptions

from parkshare.redis_client import get_redis

log = logging.getLogger("parkshare.ratelimit")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int


def login_account_key(email: str) -> str:
    # Lower-cased as the login lookup compares it, so that changing the case of an address
    # does not buy more guesses; hashed so that no address sits in Redis in clear.
    return f"ps:rl:login:acct:{hashlib.sha256(email.lower().encode()).hexdigest()}"


def login_address_key(host: str) -> str:
    return f"ps:rl:login:ip:{host}"


async def hit(name: str, limit: int, window_seconds: int) -> Verdict:
    """Count one attempt against `name`; refused once more than `limit` fall in the window."""
    try:
        client = await get_redis()
        # SET NX EX opens the window (EXPIRE NX would need Redis 7; the embedded one is 6.2).
        async with client.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window_seconds, nx=True)
            pipe.incr(name)
            pipe.ttl(name)
            _, count, ttl = await pipe.execute()
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("rate limiter unavailable, allowing the attempt: %s", exc)
        return Verdict(True, 0)
    return Verdict(int(count) <= limit, max(int(ttl), 1))


async def clear(name: str) -> None:
    try:
        await (await get_redis()).delete(name)
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("rate limiter unavailable, counter not cleared: %s", exc)
