"""Nothing is lost when Redis or the worker goes away: bookings succeed while Redis is down
and every event arrives once it is back; a worker killed in the middle of a job leaves its
effect to happen exactly once after the restart; booked reservations start and end on time
without anyone clicking."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from uuid import UUID

import httpx
import psycopg
import pytest
from rq import Queue
from rq.job import Job

from parkshare.live import events, jobs, schedule
from parkshare.store.db import admin_connect
from tests.conftest import TestDb, bearer, published
from tests.gateway.conftest import free_port, gateway_command, server_env, serving
from tests.live.conftest import RedisServer, listen
from tests.support import Garage, next_hour


@contextmanager
def working(env: dict[str, str], **settings: str) -> Iterator[subprocess.Popen[bytes]]:
    """`parkshare worker` in its own process group (the scheduler is a child of it)."""
    env = env | {f"PARKSHARE_{k.upper()}": v for k, v in settings.items()}
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "parkshare.run.cli", "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        except BaseException:
            _show(output)
            raise
        finally:
            _end(process)


def _show(output: IO[bytes]) -> None:
    output.seek(0)
    sys.stderr.write("worker output:\n" + output.read().decode(errors="replace")[-5000:])


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what or check}")
        time.sleep(0.1)


@pytest.fixture
def garage(database: TestDb) -> Iterator[Garage]:
    built = Garage.create(database)
    yield built
    built.close()


def outbox_counts(garage: Garage, reservation: UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in garage.outbox():
        if event["data"].get("reservation", {}).get("id") == str(reservation):
            counts[event["type"]] = counts.get(event["type"], 0) + 1
    return counts


def result_of(job_id: str, connection: Any) -> dict[str, Any]:
    result = Job.fetch(job_id, connection=connection).return_value()
    assert isinstance(result, dict), result
    return result


def payouts(garage: Garage, reservation: UUID) -> int:
    with psycopg.connect(garage.db.admin_url) as admin:
        row = admin.execute(
            "SELECT count(*) FROM parkshare.ledger_entries"
            " WHERE reservation_id = %s AND kind = 'payout'",
            (reservation,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def unpublished(garage: Garage) -> int:
    return sum(1 for e in garage.outbox() if e["published_at"] is None)


async def test_bookings_succeed_while_redis_is_down_and_every_event_arrives_after(
    garage: Garage, database: TestDb, own_redis: RedisServer
) -> None:
    owner, parker = garage.user("owner"), garage.user("parker")
    spots = [garage.spot(owner, f"S-{n}") for n in range(4)]
    start = next_hour()
    for spot in spots:
        garage.offer(owner, spot, start, start + timedelta(hours=4))
    env = server_env(database, own_redis.url)
    port = free_port()
    with serving(gateway_command(port), env, port) as base, working(env, sweep_seconds="1"):
        listener = await listen(base, bearer(garage, owner)["Authorization"][7:])
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:

            async def book(n: int) -> dict[str, Any]:
                # One hour each: the parker may not hold two overlapping reservations.
                begin = start + timedelta(hours=n)
                answer = await http.post(
                    "/fn/reserve",
                    json={
                        "spot_id": str(spots[n]),
                        "start": begin.isoformat(),
                        "end": (begin + timedelta(hours=1)).isoformat(),
                    },
                    headers=bearer(garage, parker),
                )
                assert answer.status_code == 201, answer.text
                return dict(answer.json())

            first = await book(0)
            await listener.until(lambda ev: any(e["type"] == "reservation.created" for e in ev))
            own_redis.stop()
            # Redis is gone: the bookings still succeed, their events wait in the outbox.
            during = [await book(n) for n in (1, 2, 3)]
            assert unpublished(garage) >= 3
            own_redis.start()
            # Nobody writes now: the worker's sweep publishes, the relay reads on.
            await listener.until(
                lambda ev: sum(e["type"] == "reservation.created" for e in ev) == 4, timeout=30
            )
        delivered = [
            e["data"]["reservation"]["id"]
            for e in listener.events
            if e["type"] == "reservation.created"
        ]
        assert delivered == [r["id"] for r in [first, *during]]
        # Marked published in the transaction that appended them, which commits just after
        # the events are already out.
        wait_for(lambda: unpublished(garage) == 0, timeout=10, what="the outbox marked")
        await listener.close()


def test_a_worker_killed_mid_job_settles_exactly_once_after_restart(
    garage: Garage, database: TestDb, own_redis: RedisServer
) -> None:
    owner, parker = garage.user("owner"), garage.user("parker")
    spot = garage.spot(owner)
    start = next_hour()
    garage.offer(owner, spot, start, start + timedelta(hours=3))
    reservation = garage.reserve(parker, spot, start, start + timedelta(hours=1))["id"]
    garage.travel(timedelta(hours=3))
    before = garage.balance(owner)
    env = server_env(database, own_redis.url)
    queue = Queue(schedule.QUEUE_NAME, connection=schedule.connection_to(own_redis.url))
    queue.enqueue(jobs.moments, job_id=f"killed-{reservation}")

    # Hold the owner's account: the settlement's payout waits for it in the middle of the
    # job's transaction, after the reservation was marked settled.
    with psycopg.connect(database.admin_url) as blocker:
        blocker.execute("SELECT 1 FROM parkshare.accounts WHERE user_id = %s FOR UPDATE", (owner,))
        with working(env, sweep_seconds="3600") as worker:

            def job_is_waiting() -> bool:
                with psycopg.connect(database.admin_url) as watcher:
                    row = watcher.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                        " AND wait_event_type = 'Lock' AND query LIKE %s",
                        (database.name, "%sweep_due%"),
                    ).fetchone()
                return row is not None and row[0] > 0

            wait_for(job_is_waiting, what="the job to block on the owner's account")
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        blocker.rollback()
    # Time for anything of the killed worker still alive (RQ's forked work horse once was,
    # in its own process group) to finish the job: nothing may.
    time.sleep(1.0)

    # The killed job's transaction never committed.
    assert garage.reservation(reservation)["status"] == "booked"
    assert payouts(garage, reservation) == 0
    with working(env, sweep_seconds="1"):
        wait_for(lambda: garage.reservation(reservation)["status"] == "settled", what="settlement")
        # Whatever RQ does with the abandoned job, and however often the sweep runs again.
        queue.enqueue(jobs.moments, job_id=f"again-{reservation}")
        wait_for(
            lambda: Job.fetch(f"again-{reservation}", connection=queue.connection).is_finished,
            what="the repeated job",
        )
        time.sleep(1.5)
    assert payouts(garage, reservation) == 1
    assert garage.balance(owner) == before + 3
    counts = outbox_counts(garage, reservation)
    assert counts["reservation.ended"] == 1 and counts["reservation.settled"] == 1, counts


def test_a_booking_starts_and_ends_on_time_through_the_timer(
    garage: Garage, database: TestDb, own_redis: RedisServer
) -> None:
    """The worker's publisher publishes the booking and brings the timer forward to its
    start; the moments job then announces the start and sets itself for the end."""
    owner, parker = garage.user("owner"), garage.user("parker")
    spot = garage.spot(owner)
    now = datetime.now(UTC)
    garage.offer(owner, spot, now - timedelta(minutes=1), now + timedelta(hours=1))
    # Far enough ahead that the worker is up (and its first sweep done) before the start.
    start, end = now + timedelta(seconds=10), now + timedelta(seconds=13)
    booked = garage.reserve(parker, spot, start, end)
    reservation, start, end = booked["id"], booked["period"].lower, booked["period"].upper
    env = server_env(database, own_redis.url)
    connection = schedule.connection_to(own_redis.url)
    # No sweep but the one at the worker's start (before the start): the start and the end
    # below are the timer's work.
    with working(env, sweep_seconds="3600"):
        at_start, at_end = schedule.moments_job_id(start), schedule.moments_job_id(end)
        wait_for(lambda: Job.exists(at_start, connection), what="the timer set for the start")
        wait_for(lambda: Job.fetch(at_start, connection=connection).is_finished, what="start")
        assert result_of(at_start, connection)["started"] == 1
        wait_for(
            lambda: garage.reservation(reservation)["status"] == "settled",
            timeout=40,
            what="the end",
        )
        wait_for(lambda: Job.fetch(at_end, connection=connection).is_finished, what="end")
        assert result_of(at_end, connection)["settled"] == 1
        wait_for(lambda: unpublished(garage) == 0, what="publication")
    counts = outbox_counts(garage, reservation)
    assert counts == {
        "reservation.created": 1,
        "reservation.started": 1,
        "reservation.ended": 1,
        "reservation.settled": 1,
    }


async def test_a_cancelled_booking_leaves_the_timer_nothing_to_do(
    api_garage: Garage, client: Callable[[str], httpx.AsyncClient], publisher: events.Publisher
) -> None:
    """Publishing a booking brings the timer forward to its start; a cancellation needs no
    unscheduling: when the moment comes, the timer finds nothing of it to announce."""
    owner, parker = api_garage.user("owner"), api_garage.user("parker")
    spot = api_garage.spot(owner)
    now = datetime.now(UTC)
    api_garage.offer(owner, spot, now - timedelta(minutes=1), now + timedelta(hours=2))
    # Far enough out that a busy machine still books it before it starts.
    start = (now + timedelta(seconds=5)).isoformat()
    window = {"start": start, "end": (now + timedelta(hours=1)).isoformat()}
    connection = schedule.connection()
    connection.delete(schedule.NEXT_KEY)
    async with client("reserve") as http:
        booked = (
            await http.post(
                "/", json={"spot_id": str(spot)} | window, headers=bearer(api_garage, parker)
            )
        ).json()
    await published(api_garage)
    # The publisher brings the timer forward just after marking the events published.
    deadline = time.monotonic() + 10
    while not connection.get(schedule.NEXT_KEY) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    due = float(connection.get(schedule.NEXT_KEY) or 0)
    assert due == pytest.approx(datetime.fromisoformat(booked["start"]).timestamp())
    async with client("cancel") as http:
        answer = await http.post(
            "/", json={"reservation_id": booked["id"]}, headers=bearer(api_garage, parker)
        )
    assert answer.status_code == 200
    await asyncio.sleep(max(0.0, due - time.time()) + 0.5)
    # What the timer's job runs when the moment comes.
    api_garage.system("SELECT to_jsonb(s) AS swept FROM parkshare.sweep_due() s")
    counts = outbox_counts(api_garage, UUID(booked["id"]))
    assert counts == {"reservation.created": 1, "reservation.cancelled": 1}


async def test_a_request_survives_pooled_connections_the_server_dropped(
    api_garage: Garage, api_database: TestDb, client: Callable[[str], httpx.AsyncClient]
) -> None:
    """No check on checkout (a round trip per request): a connection that died while idle
    fails its first statement, and the transaction runs again on a fresh one."""
    user = api_garage.user("Rhea")
    async with client("me") as http:
        assert (await http.get("/", headers=bearer(api_garage, user))).status_code == 200
        with admin_connect(api_database.admin_url) as admin:
            ended = admin.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'parkshare'"
            ).fetchone()
        assert ended is not None and ended["n"] >= 1
        again = await http.get("/", headers=bearer(api_garage, user))
    assert again.status_code == 200, again.text
