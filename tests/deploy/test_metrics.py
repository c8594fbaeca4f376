"""A resident signs in and books through real function processes while listening on a real
relay; then `/metrics` of each shows what happened, and the logs carry the request's id."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect

from parkshare.live import schedule
from parkshare.tokens import Principal, issue_access_token
from tests.deploy.conftest import Running, running
from tests.deploy.test_entrypoints import function_env
from tests.functions.conftest import PASSWORD, resident
from tests.gateway.conftest import free_port
from tests.live.conftest import RedisServer
from tests.support import HOUR, Garage, next_hour

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(base: str, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(base + "/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(answer.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def log_lines(server: Running, logger: str) -> Iterator[dict[str, Any]]:
    return (line for line in server.log_lines() if line.get("logger") == logger)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_a_booking_shows_in_the_metrics_of_its_function_and_the_relay(
    container_env: dict[str, str], api_garage: Garage, own_redis: RedisServer
) -> None:
    metrics_token = "scrape-me"
    # A Redis of its own: the queue's figures are then this test's alone.
    env = dict(container_env, PARKSHARE_METRICS_TOKEN=metrics_token, REDIS_URL=own_redis.url)
    owner, _ = resident(api_garage, "Owen")
    _parker, email = resident(api_garage, "Pat")
    spot = api_garage.spot(owner)
    start = next_hour(2)
    api_garage.offer(owner, spot, start, start + 4 * HOUR)
    listener = issue_access_token(
        Principal(owner, api_garage.building_id, "resident", session_id=api_garage.session(owner))
    )
    worker_port = free_port()
    worker_env = dict(env, PARKSHARE_WORKER_METRICS_PORT=str(worker_port))

    with (
        running(["serve"], function_env(env, "auth")) as auth,
        running(["serve"], function_env(env, "reserve")) as reserve,
        running(["relay"], env) as relay,
        running(["worker"], worker_env, port=worker_port) as worker,
    ):
        before = scrape(relay.base, metrics_token)
        ws_url = relay.base.replace("http://", "ws://") + "/ws"
        async with connect(ws_url, subprotocols=["bearer", listener]) as ws:  # type: ignore[list-item]
            login = await asyncio.to_thread(
                httpx.post,
                auth.base + "/login",
                json={"email": email, "password": PASSWORD},
                headers={"X-Request-Id": "login-1"},
            )
            assert login.status_code == 200, login.text
            booked = await asyncio.to_thread(
                httpx.post,
                reserve.base + "/",
                json={
                    "spot_id": str(spot),
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=2)).isoformat(),
                },
                headers={
                    "Authorization": f"Bearer {login.json()['access_token']}",
                    "X-Request-Id": "booking-1",
                },
            )
            assert booked.status_code == 201, booked.text
            # The owner's screen hears of it: the relay delivered the event.
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 15))
                if event["type"] == "reservation.created":
                    break
            open_relay = scrape(relay.base, metrics_token)
        unauthorized = httpx.get(reserve.base + "/metrics")
        fn = scrape(reserve.base, metrics_token)
        signin = scrape(auth.base, metrics_token)
        after = scrape(relay.base, metrics_token)
        queue = scrape(worker.base, metrics_token)
        access = list(log_lines(reserve, "parkshare.access"))

    assert unauthorized.status_code == 401
    assert booked.headers["x-request-id"] == "booking-1"
    # The function: the request by route and status, its latency, the booking, its events.
    labels = {"function": "reserve", "route": "/", "method": "POST", "status": "201"}
    assert value(fn, "parkshare_http_requests_total", **labels) == 1
    assert value(fn, "parkshare_http_request_duration_seconds_count", **labels) == 1
    assert value(fn, "parkshare_http_request_duration_seconds_sum", **labels) > 0
    # The function published nothing itself: the relay's and the worker's publishers did,
    # whichever took the building's lock first, once between them.
    assert value(fn, "parkshare_bookings_total") == 0
    published = [after, queue]
    assert sum(value(s, "parkshare_bookings_total") for s in published) == 1
    created = {"type": "reservation.created"}
    assert sum(value(s, "parkshare_events_published_total", **created) for s in published) == 1
    assert value(fn, "parkshare_http_requests_in_flight", function="reserve") == 0
    assert value(fn, "process_resident_memory_bytes") > 0
    login_labels = {"function": "auth", "route": "/login", "status": "200"}
    assert value(signin, "parkshare_http_requests_total", **login_labels) == 1
    # The relay: the socket, and the events it read and delivered.
    assert value(open_relay, "parkshare_relay_connections") == 1
    assert value(open_relay, "parkshare_relay_feeds") == 1
    opened = value(after, "parkshare_relay_connections_opened_total")
    assert opened - value(before, "parkshare_relay_connections_opened_total") == 1
    assert value(after, "parkshare_relay_events_delivered_total") >= 1
    assert value(after, "parkshare_relay_events_read_total") >= 1
    assert value(after, "parkshare_relay_connections") == 0
    # The worker: its timer waits in the queue, due no later than the booking's start (the
    # one moments job, however many bookings are to come; the database is shared with other
    # tests, whose bookings may come sooner).
    assert value(queue, "parkshare_queue_jobs", state="scheduled") >= 1
    due = float(redis.Redis.from_url(own_redis.url).get(schedule.NEXT_KEY) or 0)
    assert 0 < due <= start.timestamp()
    # One JSON access line per request, with the caller's request id.
    [line] = [a for a in access if a.get("request_id") == "booking-1"]
    assert line["route"] == "/" and line["status"] == 201 and line["function"] == "reserve"
    assert isinstance(line["duration_ms"], float)
