"""A reminder through the real worker: the publisher brings the worker's timer forward to the
parker's reminder (before the start), and the timer's job writes the notification once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job

from parkshare.live import schedule
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.gateway.conftest import server_env
from tests.live.conftest import RedisServer
from tests.live.test_faults import result_of, wait_for, working
from tests.support import Garage


@pytest.fixture
def garage(database: TestDb) -> Iterator[Garage]:
    built = Garage.create(database)
    yield built
    built.close()


def starts_soon(garage: Garage) -> list[dict[str, object]]:
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT user_id, data FROM parkshare.notifications"
            " WHERE building_id = %s AND kind = 'booking.starts_soon'",
            (garage.building_id,),
        ).fetchall()
    return [dict(r) for r in rows]


def test_the_timer_wakes_for_a_reminder_before_the_start(
    garage: Garage, database: TestDb, own_redis: RedisServer
) -> None:
    owner, parker = garage.user("owner"), garage.user("parker")
    garage.one(parker, "SELECT parkshare.set_notification_preferences(NULL, 1, NULL) AS p")
    spot = garage.spot(owner)
    now = datetime.now(UTC)
    garage.offer(owner, spot, now, now + timedelta(hours=2))
    # A minute's lead: the reminder is due 10 s from now, the start itself 70 s from now.
    booked = garage.reserve(parker, spot, now + timedelta(seconds=70), now + timedelta(hours=1))
    due = booked["period"].lower - timedelta(minutes=1)
    connection = schedule.connection_to(own_redis.url)
    # No sweep but the one at the worker's start: the reminder is the timer's work.
    with working(server_env(database, own_redis.url), sweep_seconds="3600"):
        job = schedule.moments_job_id(due)
        wait_for(lambda: Job.exists(job, connection), what="the timer set for the reminder")
        wait_for(lambda: Job.fetch(job, connection=connection).is_finished, what="the reminder")
        assert result_of(job, connection)["reminded"] == 1
        [note] = starts_soon(garage)
    assert note["user_id"] == parker
    assert note["data"]["reservation_id"] == str(booked["id"])  # type: ignore[index]
    assert booked["period"].lower > datetime.now(UTC)  # told before the start, not at it
