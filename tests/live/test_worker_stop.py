"""A worker's stop is neither lost nor held by the parts RQ starts beside it: its scheduler
process (forked before RQ installs its own signal handlers, so it starts with ours; RQ's stop
joins it without a limit), the thread on which it hears its commands (joined by redis-py's
stop), and RQ's signal handler's exception (swallowed where it lands in logging)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from rq.exceptions import StopRequested

from parkshare.live import jobs
from parkshare.live.schedule import queue


def _sleep_ignoring_sigterm(seconds: float) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(seconds)


@pytest.fixture
def recording_handler() -> Iterator[threading.Event]:
    """Our start-up handler on SIGTERM, as `run_worker` installs it, for the test's length."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, jobs._record_stop(stop))
    yield stop
    signal.signal(signal.SIGTERM, previous)


def test_a_process_forked_before_rqs_handlers_ends_on_sigterm(
    recording_handler: threading.Event,
) -> None:
    # Forked while our handler is in place, as RQ forks its scheduler, and signalled before
    # it installed handlers of its own (a moment after the fork: a signal in the fork's
    # first instants is dropped by Python itself, hence the retries of stop_scheduler). A
    # handler that only records the request would leave it sleeping its minute.
    child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    child.start()
    assert child.pid is not None
    time.sleep(0.3)
    os.kill(child.pid, signal.SIGTERM)
    child.join(10)
    alive = child.is_alive()
    if alive:
        child.kill()
        child.join()
    assert not alive, "the forked process outlived SIGTERM"
    assert child.exitcode == -signal.SIGTERM
    # In the worker itself the handler still records the stop, and only that.
    assert not recording_handler.is_set()
    os.kill(os.getpid(), signal.SIGTERM)
    assert recording_handler.wait(5)


def test_a_scheduler_that_ignores_its_signal_is_killed_within_the_limit(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "SCHEDULER_STOP_SECONDS", 1.0)
    stubborn = multiprocessing.get_context("fork").Process(
        target=_sleep_ignoring_sigterm, args=(60,)
    )
    stubborn.start()
    time.sleep(0.3)  # it ignores SIGTERM from here on
    worker = jobs._Worker([queue()], connection=redis.Redis.from_url(redis_url))
    worker.scheduler = SimpleNamespace(_process=stubborn)  # type: ignore[assignment]
    began = time.monotonic()
    worker.stop_scheduler()
    took = time.monotonic() - began
    assert not stubborn.is_alive()
    assert stubborn.exitcode == -signal.SIGKILL
    assert took < 1.0 + jobs.SCHEDULER_STOP_SECONDS + 2


def test_the_commands_thread_lets_the_worker_stop_within_a_second_or_two(redis_url: str) -> None:
    # The thread that read the unsubscription then waits for a subscription for as long as
    # its reads wait (RQ's own: 60 s), and stopping joins it: the stop waited that long.
    worker = jobs._Worker([queue()], connection=redis.Redis.from_url(redis_url))
    worker.subscribe()
    assert worker.pubsub is not None
    time.sleep(0.3)  # the thread reads
    worker.pubsub.unsubscribe()  # type: ignore[no-untyped-call]
    time.sleep(0.5)  # it read the unsubscription and waits for a subscription
    began = time.monotonic()
    worker.unsubscribe()  # type: ignore[no-untyped-call]
    took = time.monotonic() - began
    assert took < jobs.COMMANDS_WAKE_SECONDS + 5, f"the commands thread held the stop {took:.1f} s"


def test_a_stop_request_swallowed_where_it_landed_is_not_lost(redis_url: str) -> None:
    # Idle, RQ's signal handler raises StopRequested wherever the worker is; where that was
    # inside logging's emit, which swallows exceptions, the worker went back to waiting for
    # jobs. The request is recorded too, for the loop to see before its next wait.
    worker = jobs._Worker([queue()], connection=redis.Redis.from_url(redis_url))
    with contextlib.suppress(StopRequested):
        worker._shutdown()
    assert worker._stop_requested
