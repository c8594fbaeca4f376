"""The worker's queue and its one timer, for whoever needs to set it: the worker itself
(parkshare.live.jobs), the publisher when a booking starts sooner (parkshare.live.events), and the
queue's figures (parkshare.metrics). The job is named, not imported, so none of them imports
the worker's code."""

from __future__ import annotations

import time
from datetime import datetime
from functools import cache

import redis
from rq import Queue

from parkshare.config import get_settings
from parkshare.store.embedded import resolve_urls

QUEUE_NAME = "parkshare"
JOB_TIMEOUT_SECONDS = 60
RESULT_TTL_SECONDS = 3600
MOMENTS_JOB = "parkshare.live.jobs.moments"
# When the `moments` job is next due (Unix seconds), so that an earlier moment can tell.
NEXT_KEY = "parkshare:moments:next"
# Set the timer to ARGV[1] unless it is set already, for no later, and not in the past
# (ARGV[2] is now): then the caller schedules the job. Atomic, so two publishers bringing it
# forward at once schedule it once for each earlier time at most.
_EARLIER = """
local due = tonumber(redis.call('GET', KEYS[1]))
local at, now = tonumber(ARGV[1]), tonumber(ARGV[2])
if due and due <= at and due > now then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400 * 31)
return 1
"""


@cache
def connection_to(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def connection() -> redis.Redis:
    return connection_to(resolve_urls(get_settings()).redis_url)


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=connection(), default_timeout=JOB_TIMEOUT_SECONDS)


def moments_job_id(at: datetime) -> str:
    return f"moments-{int(at.timestamp() * 1000)}"


def wake_at(at: datetime) -> bool:
    """Make sure the moments job runs no later than `at`; True if that scheduled it."""
    q = queue()
    if not q.connection.eval(_EARLIER, 1, NEXT_KEY, at.timestamp(), time.time()):
        return False
    q.enqueue_at(
        at,
        MOMENTS_JOB,
        int(at.timestamp() * 1000),
        job_id=moments_job_id(at),
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=86400,
    )
    return True
