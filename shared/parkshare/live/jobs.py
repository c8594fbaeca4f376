"""The worker: the moments nobody clicks (a reservation's start and end), the sweep that makes
lost work harmless, the outbox publisher and webhook delivery (parkshare.notify.webhooks).

Scheduling is data: every booked reservation's start and end are in the database, so the
worker keeps one timer, not a job per reservation. The `moments` job announces every start
and settles every end that has come (once: the database decides, however often it runs),
asks the database for the next moment and schedules itself then. A booking whose start comes
before the scheduled moment brings it forward (`wake_at`, called by the publisher as it
publishes the booking: a compare-and-set in Redis, one round trip when nothing changes);
a cancellation needs nothing (the timer finds nothing to do). The sweep runs every
`sweep_seconds`: it does the same work, republishes the outbox, prunes it and the
idempotency keys, makes the windows of recurring patterns up to the horizon, and sets the
timer again, so a timer lost with Redis heals within a sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, TypeVar

import redis
from rq import Queue, SimpleWorker
from rq.job import Job

from parkshare.config import get_settings
from parkshare.live.schedule import connection, queue, wake_at
from parkshare.store import db
from parkshare.store.queries import load
from parkshare.store.redis_client import close_redis

T = TypeVar("T")
log = logging.getLogger("parkshare.live.jobs")

# How long a stopping worker waits for its scheduler process before it kills it.
SCHEDULER_STOP_SECONDS = 10.0
# How long the thread on which RQ's worker hears its commands waits per read: a stop joins
# that thread, so a stop can wait this long for it.
COMMANDS_WAKE_SECONDS = 1.0
SQL = load("events")
# The jobs. Module-level functions taking no arguments, as RQ stores them by name.


def moments(due_ms: int | None = None) -> dict[str, Any]:
    """Announce the starts, settle the ends, send the reminders and expire the requests that
    have come, then set the timer for the next moment. `due_ms`: when it was scheduled for;
    RQ's scheduler, which counts in whole seconds, may hand it over up to a second early, so
    it waits for its moment first."""
    if due_ms is not None:
        time.sleep(min(max(0.0, due_ms / 1000 - time.time()), 2.0))
    return asyncio.run(_in_process(_moments()))


def reservation_started(reservation_id: str) -> dict[str, Any]:
    """A job the previous release scheduled per reservation, still waiting in Redis after an
    upgrade: the timer's work does it (and whatever else is due)."""
    return moments()


reservation_ended = reservation_started


async def _moments() -> dict[str, Any]:
    # No-shows first: a booking nobody checked in to is never settled in full.
    no_shows = await db.value(None, None, SQL["no_shows"])
    done: dict[str, Any] = dict(await db.value(None, None, SQL["sweep"]))
    done["no_shows"] = no_shows
    done["reminded"] = await db.value(None, None, SQL["remind"])
    done["expired"] = await db.value(None, None, SQL["expire_requests"])
    done["next"] = await _set_timer()
    return done


async def _set_timer() -> str | None:
    """Schedule the moments job for the next moment the database knows of (if any)."""
    at: datetime | None = await db.value(None, None, SQL["next_moment"])
    if at is None:
        return None
    # The database's clock may be a little behind the worker's: never a timer in the past
    # for a moment the database does not see as come yet.
    at = max(at, datetime.now(UTC) + timedelta(seconds=1))
    await asyncio.to_thread(wake_at, at)
    return at.isoformat()


def sweep() -> dict[str, Any]:
    """What the timer did or would do, then publish what waits, prune what is old and set the
    timer again."""
    return asyncio.run(_in_process(_sweep()))


async def _sweep() -> dict[str, Any]:
    from parkshare.live import events
    from parkshare.notify import mail

    no_shows = await db.value(None, None, SQL["no_shows"])
    swept: dict[str, Any] = dict(await db.value(None, None, SQL["sweep"]))
    swept["no_shows"] = no_shows
    swept["reminded"] = await db.value(None, None, SQL["remind"])
    swept["expired"] = await db.value(None, None, SQL["expire_requests"])
    # Patterns' windows up to each building's horizon: each local day once per pattern, so
    # every sweep after the first of the day finds nothing, and one after a downtime makes
    # every day missed (before the publishing below, which sends their events).
    swept["materialised"] = await db.value(None, None, SQL["materialise"])
    swept["published"] = await events.publish_waiting()
    swept["mailed"] = await mail.sweep()
    settings = get_settings()
    keep = timedelta(hours=settings.outbox_keep_hours)
    swept["pruned"] = await db.value(None, None, SQL["prune"], {"keep": keep})
    keys = timedelta(hours=settings.idempotency_keep_hours)
    swept["keys_pruned"] = await db.value(None, None, SQL["idempotency_prune"], {"keep": keys})
    swept["next"] = await _set_timer()
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


class _Worker(SimpleWorker):
    """RQ's worker, told of a stop signal that came before it took the signals over: from
    process start until its own handlers are in place, ours only record the request, and
    here it is handed on (after that instant RQ's handlers receive every signal)."""

    stop_before_start: threading.Event | None = None

    def _install_signal_handlers(self) -> None:
        super()._install_signal_handlers()  # type: ignore[no-untyped-call]
        if self.stop_before_start is not None and self.stop_before_start.is_set():
            self._stop_requested = True
            self._shutdown_requested_date = datetime.now(UTC)

    def _shutdown(self) -> None:
        # When idle, RQ's handler raises StopRequested wherever the worker happens to be; in
        # a call that swallows exceptions (logging's emit does) it was lost, and the worker
        # went back to wait for jobs for minutes. Recorded first, the loop sees it before its
        # next wait whatever becomes of the exception.
        self._stop_requested = True
        super()._shutdown()  # type: ignore[no-untyped-call]

    def subscribe(self) -> None:
        # RQ's own, but waking each second where RQ's waits 60 s: redis-py's stop() joins the
        # thread, and a thread that read the unsubscription waits out the whole of its wait
        # for a subscription that never comes, so the worker's stop took up to a minute.
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=COMMANDS_WAKE_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )

    def stop_scheduler(self) -> None:
        # RQ's own signals the scheduler process once and joins it without a limit. A signal
        # that lands in a process just forked, before Python has set it up, is dropped (and
        # RQ forks the scheduler at its start, when a pod is often stopped): asked again each
        # second, killed past the limit, it never holds the worker's stop for ever.
        process = self.scheduler._process if self.scheduler is not None else None
        if process is None or not process.pid:
            return
        deadline = time.monotonic() + SCHEDULER_STOP_SECONDS
        while process.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                os.kill(process.pid, signal.SIGTERM)
            process.join(min(1.0, max(deadline - time.monotonic(), 0.0)))
        if process.is_alive():
            log.warning("the scheduler did not stop in %.0f s; killing it", SCHEDULER_STOP_SECONDS)
            process.kill()
            process.join(SCHEDULER_STOP_SECONDS)


def _record_stop(stop: threading.Event) -> Callable[[int, FrameType | None], None]:
    """The handler that records a stop request until RQ's take over. RQ forks its scheduler
    before it installs its own handlers, so the scheduler process starts with this one: there
    it does what no handler would have done, end the process (a stop recorded in a copy of
    the worker's memory would leave the scheduler running, and the worker waiting for it)."""
    owner = os.getpid()

    def handle(signum: int, _frame: FrameType | None) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        stop.set()

    return handle


def run_worker(*, burst: bool = False) -> None:
    """An RQ worker with its scheduler, the periodic sweep, the outbox publisher, the mail
    sender and the webhook deliverer (each on a thread of its own), until SIGINT/SIGTERM.

    RQ's worker quits on some Redis errors; a worker that should keep running starts again
    once Redis answers, so an outage never needs an operator.
    """
    # A SIGTERM or SIGINT before RQ's worker takes over its signals (it does in work(), after
    # the imports and the threads below) is a warm stop too, not the default's abrupt end.
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _record_stop(stop))

    from parkshare.live import events
    from parkshare.notify import mail, webhooks

    stop_publishing = stop_mailing = stop_webhooks = None
    if burst:
        enqueue_sweep()
    else:
        threading.Thread(target=_sweep_periodically, args=(stop,), daemon=True).start()
        _, stop_publishing = events.run_in_thread()
        _, stop_mailing = mail.run_in_thread()
        _, stop_webhooks = webhooks.run_in_thread()
    try:
        while True:
            # In-process jobs, not RQ's forked work horse: the horse runs in a process group
            # of its own, so stopping or killing the worker would leave it finishing its job
            # unseen. Jobs are short database calls that fork would only slow down.
            if stop.is_set():
                return
            worker = _Worker([queue()], connection=connection())
            worker.stop_before_start = stop
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
        if stop_mailing is not None:
            stop_mailing()
        if stop_webhooks is not None:
            stop_webhooks()
