"""Fixed-window counters of failed logins in Redis.

Only failures count. An attempt is counted before its password is verified (so that a
burst of parallel guesses is counted in full) and taken back when it succeeds: residents
of one building often share one public address (the building's Wi-Fi, a proxy), and their
morning sign-ins must never lock each other out. Failures count per account (a success
clears that counter) and per address (a generous ceiling against guessing many accounts).

If Redis is unreachable the limiter lets the attempt through and logs it: an outage of the
cache must not lock every resident out. Passwords are still verified by argon2, whose cost
already slows guessing down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis.exceptions

from parkshare.store.redis_client import get_redis

# The name it has always logged under: what operators filter on stays the same.
log = logging.getLogger("parkshare.ratelimit")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int


def login_account_key(digest: str) -> str:
    """`digest` is the database's digest of the address's normal form (ps_email_digest): the
    limiter and the login lookup agree on which spellings are one account."""
    return f"ps:rl:login:acct:{digest}"


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


async def take_back(name: str) -> None:
    """The attempt counted against `name` was not a failure after all."""
    try:
        client = await get_redis()
        # Never below zero, and never a key without its expiry (DECR would make one).
        await client.eval(_TAKE_BACK, 1, name)
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("rate limiter unavailable, attempt not taken back: %s", exc)


_TAKE_BACK = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return n
"""


async def clear(name: str) -> None:
    try:
        await (await get_redis()).delete(name)
    except (redis.exceptions.RedisError, OSError) as exc:
        log.warning("rate limiter unavailable, counter not cleared: %s", exc)
