"""A worker's stop is never held by its scheduler process: RQ forks the scheduler before it
installs its own signal handlers, so the scheduler starts with ours, and RQ's own stop joins
it without a limit."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis

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
