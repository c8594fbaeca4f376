"""The worker: RQ jobs for the moments nobody clicks, and the sweep that makes lost jobs
harmless.

A reservation's start and end are scheduled as jobs (deterministic ids `start-<id>`,
`end-<id>`) when its `reservation.created` event is published, and removed when its
`reservation.cancelled` event is. Every job only calls a procedure that does its work at most
once (the database decides: a moment is announced once, a reservation is settled once), so a
job run twice, late, or after the sweep already did its work changes nothing. The sweep runs
every `sweep_seconds`: it announces and settles whatever a lost job (Redis restarted empty,
worker down) missed, republishes the outbox and prunes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import redis
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import NoSuchJobError
from rq.job import Job

from parkshare import db
from parkshare.config import get_settings
from parkshare.embedded import resolve_urls
from parkshare.queries import load
from parkshare.redis_client import close_redis

if TYPE_CHECKING:
    from parkshare.events import Pending

T = TypeVar("T")
log = logging.getLogger("parkshare.jobs")
SQL = load("events")
QUEUE_NAME = "parkshare"
# A job the database finds early (the worker's clock ahead of the database's) or that fails
# on a passing outage tries again; the sweep is the backstop after the last try.
RETRY = Retry(max=5, interval=[1, 2, 5, 15, 60])
JOB_TIMEOUT_SECONDS = 60
RESULT_TTL_SECONDS = 3600


class NotYet(Exception):
    """The database says the moment has not come yet."""


@cache
def connection_to(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def connection() -> redis.Redis:
    return connection_to(resolve_urls(get_settings()).redis_url)


def queue() -> Queue:
    return Queue(QUEUE_NAME, connection=connection(), default_timeout=JOB_TIMEOUT_SECONDS)


def job_ids(reservation_id: str) -> tuple[str, str]:
    return f"start-{reservation_id}", f"end-{reservation_id}"


def follow(pending: Iterable[Pending]) -> None:
    """Schedule or unschedule the jobs of the reservations these events are about."""
    q = queue()
    # One round trip for all of them: this runs while the publisher holds its lock.
    with q.connection.pipeline() as pipe:
        _follow(q, pipe, pending)
        pipe.execute()


def _follow(q: Queue, pipe: Any, pending: Iterable[Pending]) -> None:
    for event in pending:
        reservation = event.data.get("reservation")
        if not isinstance(reservation, dict):
            continue
        rid = str(reservation["id"])
        start_job, end_job = job_ids(rid)
        if event.type == "reservation.created":
            common: dict[str, Any] = {
                "retry": RETRY,
                "result_ttl": RESULT_TTL_SECONDS,
                "pipeline": pipe,
            }
            q.enqueue_at(
                _instant(reservation["start"]), reservation_started, rid, job_id=start_job, **common
            )
            q.enqueue_at(
                _instant(reservation["end"]), reservation_ended, rid, job_id=end_job, **common
            )
        elif event.type == "reservation.cancelled":
            for job_id in (start_job, end_job):
                with contextlib.suppress(NoSuchJobError):
                    Job.fetch(job_id, connection=q.connection).delete(pipeline=pipe)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# The jobs. Module-level functions taking ids only, as RQ stores them by name.


def reservation_started(reservation_id: str) -> str:
    """`reservation.started` and the spot's new state, once."""
    return _moment("reservation_started", reservation_id)


def reservation_ended(reservation_id: str) -> str:
    """`reservation.ended`, then settlement (rule 9), once."""
    return _moment("reservation_ended", reservation_id)


def sweep() -> dict[str, int]:
    """Announce and settle what lost jobs missed, publish what waits, prune what is old."""
    return asyncio.run(_in_process(_sweep()))


def _moment(query: str, reservation_id: str) -> str:
    outcome: str = asyncio.run(_in_process(_call(query, {"reservation_id": UUID(reservation_id)})))
    if outcome == "early":
        raise NotYet(f"{query} {reservation_id}: not due yet")
    return outcome


async def _call(query: str, params: dict[str, Any]) -> Any:
    # Its events reach the stream through the publisher, notified at commit.
    return await db.value(None, None, SQL[query], params)


async def _sweep() -> dict[str, int]:
    from parkshare import events

    swept: dict[str, int] = dict(await db.value(None, None, SQL["sweep"]))
    swept["published"] = await events.publish_waiting()
    settings = get_settings()
    keep = timedelta(hours=settings.outbox_keep_hours)
    swept["pruned"] = await db.value(None, None, SQL["prune"], {"keep": keep})
    keys = timedelta(hours=settings.idempotency_keep_hours)
    swept["keys_pruned"] = await db.value(None, None, SQL["idempotency_prune"], {"keep": keys})
    return swept


async def _in_process(work: Awaitable[T]) -> T:
    # Each job runs in a fresh event loop: the pool and the Redis client, bound to the loop,
    # must not outlive it.
    try:
        return await work
    finally:
        await db.close_pool()
        await close_redis()


def enqueue_sweep(q: Queue | None = None) -> str | None:
    """Queue a sweep unless this period's is queued already (several workers share one)."""
    q = q or queue()
    period = get_settings().sweep_seconds
    job_id = f"sweep-{int(time.time() // period)}"
    if Job.exists(job_id, connection=q.connection):
        return None
    q.enqueue(sweep, job_id=job_id, result_ttl=period * 10, failure_ttl=86400)
    return job_id


def _sweep_periodically(stop: threading.Event) -> None:
    period = get_settings().sweep_seconds
    while True:
        try:
            enqueue_sweep()
        except redis.RedisError as exc:
            log.warning("could not queue the sweep: %r", exc)
        if stop.wait(period):
            return


def run_worker(*, burst: bool = False) -> None:
    """An RQ worker with its scheduler, the periodic sweep and the outbox publisher (on a
    thread of its own), until SIGINT/SIGTERM.

    RQ's worker quits on some Redis errors; a worker that should keep running starts again
    once Redis answers, so an outage never needs an operator.
    """
    from parkshare import events

    stop = threading.Event()
    stop_publishing = None
    if burst:
        enqueue_sweep()
    else:
        threading.Thread(target=_sweep_periodically, args=(stop,), daemon=True).start()
        _, stop_publishing = events.run_in_thread()
    try:
        while True:
            # In-process jobs, not RQ's forked work horse: the horse runs in a process group
            # of its own, so stopping or killing the worker would leave it finishing its job
            # unseen. Jobs are short database calls that fork would only slow down.
            worker = SimpleWorker([queue()], connection=connection())
            try:
                worker.work(with_scheduler=True, burst=burst)
            except redis.RedisError as exc:
                log.warning("worker lost Redis (%r); starting again", exc)
            # A warm shutdown (SIGINT/SIGTERM) records when it was asked for; anything else
            # that ended the worker was Redis.
            if burst:
                # What the jobs just wrote, since no publisher listens in a burst.
                asyncio.run(_in_process(events.publish_waiting()))
                return
            if worker._shutdown_requested_date is not None:
                return
            time.sleep(1.0)
    finally:
        stop.set()
        if stop_publishing is not None:
            stop_publishing()
