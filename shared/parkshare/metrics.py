"""Prometheus metrics of every parkshare process, and the operational routes beside them.

Each process (a function, the relay, the gateway, the web app, the worker) keeps its own
figures in prometheus_client's default registry, which also carries the process and Python
collectors (memory, CPU, open files, GC); Prometheus adds them up across pods. Every HTTP
process answers:

- `GET /metrics` — the Prometheus text format, to `Authorization: Bearer <token>` when
  `PARKSHARE_METRICS_TOKEN` is set, else only to callers on this machine (loopback): a
  function's URL is public, its figures are not;
- `GET /healthz` — liveness: the process answers (no dependency, so an outage of PostgreSQL
  or Redis never gets healthy pods restarted);
- `GET /readyz` — readiness: the dependencies it cannot work without answer (and, on the
  first probe, what the function prepares before its first request: `readiness`).

A function answers them before its routes (`intercept`, called by the Router), so they
are nobody's route, need no token and are neither counted nor logged as requests; the
gateway, the relay and the web app mount the same three (`probes`), each with its own
readiness; the worker serves `/healthz` and `/metrics` on its metrics port.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from parkshare import logs
from parkshare.config import get_settings
from parkshare.problems import Problem

log = logging.getLogger("parkshare.metrics")
access = logging.getLogger("parkshare.access")
CHECK_TIMEOUT_SECONDS = 2.0
# Requests take milliseconds to a few seconds (argon2 at login, a large GraphQL query).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A route label for what no route of the function matched (an unknown path or method, a
# scanner's probe) or what the function answers outside its Router (settle's CloudEvents):
# never the raw path, which would make one series per URL a client invents.
NO_ROUTE = "(none)"
# A `_created` timestamp beside every series doubles the output and no query here uses it.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "parkshare_http_requests",
    "Requests a function answered, by function, route, method and status",
    ["function", "route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "parkshare_http_request_duration_seconds",
    "Time from a request reaching a function to its answer",
    ["function", "route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge(
    "parkshare_http_requests_in_flight", "Requests a function is answering now", ["function"]
)
EVENTS_PUBLISHED = Counter(
    "parkshare_events_published", "Events appended to building streams, by type", ["type"]
)
BOOKINGS = Counter(
    "parkshare_bookings",
    "Reservations booked (counted as their reservation.created event is published, so once "
    "per booking whether it came through REST or GraphQL; an idempotent replay books nothing)",
)
RELAY_CONNECTIONS = Gauge("parkshare_relay_connections", "Sockets open on this relay")
RELAY_FEEDS = Gauge("parkshare_relay_feeds", "Building streams this relay reads")
RELAY_OPENED = Counter("parkshare_relay_connections_opened", "Sockets accepted with a valid token")
RELAY_DROPPED = Counter(
    "parkshare_relay_connections_dropped",
    "Sockets the relay closed itself, by close code (1013 too slow, 4401 token expired, "
    "1001 shutting down)",
    ["code"],
)
RELAY_READ = Counter("parkshare_relay_events_read", "Events the relay read from building streams")
RELAY_DELIVERED = Counter("parkshare_relay_events_delivered", "Events sent to sockets")
WEBHOOK_ATTEMPTS = Counter(
    "parkshare_webhook_attempts",
    "Webhook deliveries attempted by the worker, by outcome (delivered, failed and retried "
    "later, given_up after 24 hours)",
    ["outcome"],
)


def published(types: Iterable[str]) -> None:
    """Count events appended to a stream (parkshare.live.events, after the XADD succeeded)."""
    for event_type in types:
        EVENTS_PUBLISHED.labels(event_type).inc()
        if event_type == "reservation.created":
            BOOKINGS.inc()


def webhook_attempted(outcome: str) -> None:
    """Count one recorded webhook attempt (parkshare.notify.webhooks)."""
    WEBHOOK_ATTEMPTS.labels(outcome).inc()


# --- the routes ---------------------------------------------------------------------------


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def scrape_allowed(authorization: str, client: str | None) -> bool:
    """The bearer token when one is configured, else a caller on loopback."""
    token = get_settings().metrics_token
    if token is None:
        return is_loopback(client)
    scheme, _, given = authorization.partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


def exposition(request: Request) -> Response:
    """`/metrics`: everything this process counted, in the Prometheus text format."""
    client = request.client.host if request.client else None
    if not scrape_allowed(request.headers.get("authorization", ""), client):
        problem = Problem(
            "unauthenticated",
            "metrics need Authorization: Bearer <PARKSHARE_METRICS_TOKEN>, or a caller on "
            "this machine when no token is set",
        )
        response = Response(
            json.dumps(problem.as_dict()),
            status_code=401,
            media_type="application/problem+json",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
        return response
    # The format the scraper asks for (OpenMetrics, text 1.0.0), else the text format 0.0.4
    # every Prometheus reads.
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(REGISTRY), media_type=content_type)


async def alive(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


Endpoint = Callable[[Request], Awaitable[Response]]


def probes(readiness_of_process: Endpoint) -> list[Any]:
    """The operational routes of a Starlette process (the gateway, the relay, the web app),
    the same in each: `/healthz` is `alive`, `/metrics` the exposition, and `/readyz` what
    that process cannot work without. A function answers the same three from `intercept`."""
    from starlette.routing import Route

    async def metrics_endpoint(request: Request) -> Response:
        return exposition(request)

    return [
        Route("/healthz", alive, methods=["GET"]),
        Route("/readyz", readiness_of_process, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
    ]


Check = Callable[[], Awaitable[Any]]


async def ready(
    required: dict[str, Check],
    optional: dict[str, Check] | None = None,
    *,
    unhealthy: str = "unavailable",
) -> Response:
    """200 when every required check passes within its time, else 503 with `unhealthy` as
    the status; each part named."""

    async def state(name: str, check: Check) -> tuple[str, str]:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
        except Exception as exc:
            log.warning("readiness check of %s failed: %r", name, exc)
            return name, "unavailable"
        return name, "ok"

    everything = {**required, **(optional or {})}
    parts = dict(await asyncio.gather(*(state(n, c) for n, c in everything.items())))
    healthy = all(parts[name] == "ok" for name in required)
    return JSONResponse(
        {"status": "ok" if healthy else unhealthy, **parts},
        status_code=200 if healthy else 503,
    )


async def postgres_answers() -> None:
    from parkshare.store import db

    pool = await db.get_pool()
    async with pool.connection() as conn:
        await conn.execute("SELECT 1")


async def redis_answers() -> None:
    # The functions' own client: the check covers the connection they would use.
    from parkshare.store.redis_client import get_redis

    await (await get_redis()).ping()


Prepare = Callable[[], Awaitable[object]]


@dataclass
class Readiness:
    """What a function's `/readyz` reports beside PostgreSQL (`optional`: reported, never
    required), and what its first probe does before it answers 200 (`prepare`): work its
    first request would otherwise do, done while Knative waits for readiness and before it
    sends anyone."""

    optional: dict[str, Check] = field(default_factory=dict)
    prepare: Prepare | None = None
    prepared: bool = False

    async def prepared_now(self) -> bool:
        if self.prepare is None or self.prepared:
            return True
        try:
            await self.prepare()
        except Exception:
            log.exception("the function could not prepare")
            return False
        self.prepared = True
        return True


_READINESS: dict[str, Readiness] = {}


def readiness(
    function: str, *, optional: dict[str, Check] | None = None, prepare: Prepare | None = None
) -> None:
    """Declare what `function`'s readiness reports and prepares (its main.py calls this)."""
    _READINESS[function] = Readiness(dict(optional or {}), prepare)


async def function_ready(request: Request) -> Response:
    """A function is ready when PostgreSQL answers: every route needs it. (The first probe
    also opens the pool, so the first request does not pay for it, and does what the
    function declared to prepare.) Redis is reported only by the functions that use it
    (`readiness`: auth's login limits, GraphQL's subscriptions), and not required: a
    function works without it. The others never connect to it: events leave through the
    outbox and the publisher, in the relay and the worker."""
    declared = _READINESS.get(function_of(request)) or Readiness()
    response, prepared = await asyncio.gather(
        ready({"postgres": postgres_answers}, declared.optional), declared.prepared_now()
    )
    if prepared:
        return response
    parts = json.loads(bytes(response.body))
    return JSONResponse(
        {**parts, "status": "unavailable", "function": "unavailable"}, status_code=503
    )


_OPERATIONS: dict[str, Callable[[Request], Awaitable[Response]]] = {
    "/healthz": alive,
    "/readyz": function_ready,
}


async def intercept(request: Request, path: str) -> Response | None:
    """The answer to a function's operational route, or None for one of its own routes."""
    if request.method not in ("GET", "HEAD"):
        return None
    if path == "/metrics":
        return exposition(request)
    operation = _OPERATIONS.get(path)
    return await operation(request) if operation is not None else None


# --- observing requests -------------------------------------------------------------------

ROUTE_KEY = "parkshare.route"
# The path the access log shows, where the request's own would reveal a secret in it.
LOGGED_PATH_KEY = "parkshare.logged_path"


def function_of(request: Request) -> str:
    """The function a request reached: the gateway mounts each at /fn/<name>; served alone,
    it is the process's FUNCTION_TARGET (named as its folder)."""
    root = str(request.scope.get("root_path", ""))
    if root.startswith("/fn/"):
        return root.removeprefix("/fn/").strip("/")
    return os.environ.get("FUNCTION_TARGET", "").replace("_", "-") or "unknown"


async def observed(
    request: Request, function: str | None, produce: Callable[[], Awaitable[Response]]
) -> Response:
    """`produce`'s response, counted, timed, logged and stamped with the request's id."""
    name = function or function_of(request)
    rid = logs.incoming_id(request.headers)
    token = logs.request_id.set(rid)
    in_flight = HTTP_IN_FLIGHT.labels(name)
    in_flight.inc()
    started = time.perf_counter()
    status = 500
    try:
        response = await produce()
        status = response.status_code
        response.headers[logs.HEADER] = rid
        return response
    finally:
        elapsed = time.perf_counter() - started
        in_flight.dec()
        route = str(request.scope.get(ROUTE_KEY) or NO_ROUTE)
        labels = (name, route, request.method, str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        HTTP_DURATION.labels(*labels).observe(elapsed)
        logged_path = str(request.scope.get(LOGGED_PATH_KEY) or request.url.path)
        access.info(
            "%s %s %d",
            request.method,
            logged_path,
            status,
            extra={
                "function": name,
                "route": route,
                "method": request.method,
                "path": logged_path,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        logs.request_id.reset(token)


# --- the worker's queue, read from Redis at each scrape ---------------------------------------


class QueueCollector(Collector):
    """RQ's jobs by state, read when Prometheus scrapes (nothing to keep up to date). The
    worker hands over its queue (`queue_of`): the live path imports this module, not the
    other way round."""

    def __init__(self, queue_of: Callable[[], Any]) -> None:
        self.queue_of = queue_of

    def collect(self) -> Iterable[Metric]:
        from redis.exceptions import RedisError
        from rq import Worker

        depth = GaugeMetricFamily(
            "parkshare_queue_jobs", "Jobs in the worker's queue, by state", labels=["state"]
        )
        workers = GaugeMetricFamily("parkshare_queue_workers", "Workers serving the queue")
        up = GaugeMetricFamily("parkshare_queue_up", "1 if Redis answered this scrape")
        try:
            queue = self.queue_of()
            counts = {
                "queued": queue.count,
                "scheduled": queue.scheduled_job_registry.count,
                "started": queue.started_job_registry.count,
                "deferred": queue.deferred_job_registry.count,
                "failed": queue.failed_job_registry.count,
            }
            serving = Worker.count(queue=queue)
        except (RedisError, OSError) as exc:
            log.warning("queue depth unavailable: %r", exc)
            up.add_metric([], 0)
            yield up
            return
        for state, count in counts.items():
            depth.add_metric([state], count)
        workers.add_metric([], serving)
        up.add_metric([], 1)
        yield from (depth, workers, up)


def serve_worker_metrics(port: int, queue_of: Callable[[], Any], host: str = "0.0.0.0") -> None:
    """`/metrics` of the worker (its process figures and the queue) on its own port, from a
    daemon thread: the worker's main thread belongs to RQ."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app

    REGISTRY.register(QueueCollector(queue_of))
    metrics_app = make_wsgi_app(REGISTRY)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"status":"ok"}']
        authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
        if not scrape_allowed(authorization, environ.get("REMOTE_ADDR")):
            problem = Problem("unauthenticated", "metrics need the bearer token")
            start_response(
                "401 Unauthorized",
                [
                    ("Content-Type", "application/problem+json"),
                    ("X-Content-Type-Options", "nosniff"),
                ],
            )
            return [json.dumps(problem.as_dict()).encode()]
        return metrics_app(environ, start_response)

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # a scrape every few seconds is no news

    server = make_server(host, port, app, ThreadingWSGIServer, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("worker metrics on port %d", port)
