"""Webhook delivery against a real HTTP receiver on 127.0.0.1: the outbox publisher and the
deliverer run in this process as the worker runs them, on this test's own database.

A booking's events arrive signed, in stream order, only the subscribed types and never
credits.changed; a failing receiver gets the event on a later attempt after the backoff,
with the head event holding back the next; a silent one counts as no status; an event past
its 24 hours is given up; a URL refused at delivery time gets nothing; the outbox keeps what
a webhook still needs."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client import REGISTRY

from parkshare.config import get_settings
from parkshare.live import events
from parkshare.notify import webhooks
from parkshare.notify.webhook_registry import new_secret, seal_secret
from parkshare.problems import Problem
from parkshare.store.db import admin_connect, set_context
from tests.conftest import TestDb, stopped
from tests.gateway.conftest import server_env
from tests.live.conftest import RedisServer
from tests.live.test_faults import wait_for, working
from tests.support import HOUR, Garage, next_hour

SUBSCRIBED = ["reservation.created", "reservation.cancelled", "spot.updated"]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """An HTTP server that records every POST and answers what `plan` says, in turn (an int
    status, or "hang" to answer nothing for longer than the deliverer waits), then 200."""

    plan: list[int | str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def url(self, path: str = "/hook") -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def start(self, tls: ssl.SSLContext | None = None) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keeps connections open as most servers do, so a client's reuse would show.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                    answer = receiver.plan.pop(0) if receiver.plan else 200
                if answer == "hang":
                    time.sleep(3)
                    return
                self.send_response(int(answer))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.start()
    yield running
    running.stop()


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture
def worker_env(database: TestDb) -> Iterator[None]:
    """The worker's settings, pointed at this test's database."""
    with environment(
        DATABASE_URL=database.admin_url,
        PARKSHARE_APP_DATABASE_URL=database.app_url,
        PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK="true",
        PARKSHARE_WEBHOOK_TIMEOUT_SECONDS="1",
    ):
        yield


@pytest.fixture
def garage(database: TestDb, worker_env: None) -> Iterator[Garage]:
    built = Garage.create(database)
    yield built
    built.close()


async def _running(part: Any) -> AsyncIterator[Any]:
    task = asyncio.create_task(part.run())
    try:
        yield part
    finally:
        await stopped(task)


@pytest.fixture
async def publisher(worker_env: None) -> AsyncIterator[events.Publisher]:
    async for running in _running(events.Publisher()):
        await asyncio.wait_for(running.listening.wait(), 10)
        yield running


@pytest.fixture
async def deliverer(worker_env: None) -> AsyncIterator[webhooks.Deliverer]:
    async for running in _running(webhooks.Deliverer()):
        yield running


async def settled(garage: Garage, deadline_seconds: float = 10.0) -> None:
    """Until nothing of the building waits in the outbox (the publisher is running)."""
    deadline = time.monotonic() + deadline_seconds
    while [e for e in garage.outbox() if e["published_at"] is None]:
        assert time.monotonic() < deadline, "events still waiting in the outbox"
        await asyncio.sleep(0.02)


async def until(done: Any, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.05)


def register(garage: Garage, url: str, types: list[str]) -> tuple[UUID, str]:
    secret = new_secret()
    row = garage.one(
        garage.admin_id,
        "SELECT parkshare.create_webhook(%s, %s, %s) AS w",
        (url, types, seal_secret(secret, garage.building_id)),
    )
    return UUID(row["w"]["id"]), secret


def attempts(garage: Garage, webhook: UUID) -> list[dict[str, Any]]:
    with admin_connect(garage.db.admin_url) as admin:
        rows = admin.execute(
            "SELECT attempt, status, error, outcome, event_id, event_type"
            " FROM parkshare.webhook_deliveries WHERE webhook_id = %s ORDER BY id",
            (webhook,),
        ).fetchall()
    return [dict(r) for r in rows]


def attempts_counted(outcome: str) -> float:
    """parkshare_webhook_attempts_total{outcome} of this process (the deliverer runs here)."""
    value = REGISTRY.get_sample_value("parkshare_webhook_attempts_total", {"outcome": outcome})
    return value or 0.0


def listed(garage: Garage) -> dict[str, Any]:
    hooks = garage.one(garage.admin_id, "SELECT parkshare.admin_webhooks() AS h")["h"]
    return {h["id"]: h for h in hooks["webhooks"]}


def published(garage: Garage, types: list[str]) -> list[str]:
    """The stream ids of the building's building-wide events of `types`, in stream order."""
    rows = [r for r in garage.outbox() if r["stream_id"] is not None and r["user_id"] is None]
    rows.sort(key=lambda r: (r["stream_ms"], r["stream_seq"]))
    return [r["stream_id"] for r in rows if r["type"] in types]


def as_worker(garage: Garage, query: str) -> list[Any]:
    """One transaction as the app role without a tenant context, as the worker runs."""
    with garage.conn.transaction():
        set_context(garage.conn, None, None)
        return garage.conn.execute(query).fetchall()


def verify(received: Received, secret: str) -> None:
    """What a receiver does: recompute the HMAC of "<t>.<body>" and compare."""
    parts = dict(p.split("=", 1) for p in received.headers["X-Parkshare-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    assert abs(int(parts["t"]) - time.time()) < 60


class Building:
    def __init__(self, garage: Garage) -> None:
        self.g = garage
        self.owner, self.parker = garage.user("Olga"), garage.user("Paul")
        self.spot = garage.spot(self.owner, "W1")
        self.start = next_hour(24)
        garage.offer(self.owner, self.spot, self.start, self.start + 6 * HOUR)

    def book(self, hours: int = 0) -> UUID:
        start = self.start + hours * HOUR
        return UUID(str(self.g.reserve(self.parker, self.spot, start, start + HOUR)["id"]))


async def test_a_bookings_events_arrive_signed_in_order_only_those_subscribed(
    garage: Garage, receiver: Receiver, publisher: Any, deliverer: Any
) -> None:
    b = Building(garage)
    await settled(garage)
    before = {r["stream_id"] for r in garage.outbox()}
    everything, secret = register(garage, receiver.url("/all"), SUBSCRIBED)
    cancels, cancels_secret = register(garage, receiver.url("/cancels"), ["reservation.cancelled"])

    first = b.book(0)
    b.book(2)
    garage.cancel(b.parker, first)
    garage.spot(b.owner, "W2")
    await settled(garage)
    # What the bookings and the cancellation announced, as the stream has it.
    expected = [i for i in published(garage, SUBSCRIBED) if i not in before]
    assert len(expected) == 4
    await until(lambda: len(receiver.at("/all")) >= len(expected), "every event at /all")
    await until(lambda: len(receiver.at("/cancels")) >= 1, "the cancellation at /cancels")

    got = receiver.at("/all")
    assert [r.event["id"] for r in got] == expected
    types = [r.event["type"] for r in got]
    assert types == [
        "reservation.created",
        "reservation.created",
        "reservation.cancelled",
        "spot.updated",
    ]
    assert "credits.changed" not in types and "notification.created" not in types
    assert set(types) <= set(SUBSCRIBED)
    for r in got:
        verify(r, secret)
        assert set(r.event) == {"id", "type", "building_id", "at", "data"}
        assert r.event["building_id"] == str(garage.building_id)
        assert r.headers["Content-Type"] == "application/json"
    created = next(r.event for r in got if r.event["type"] == "reservation.created")
    assert created["data"]["reservation"]["id"] == str(first)
    assert created["at"].endswith("Z")

    (cancelled,) = receiver.at("/cancels")
    assert cancelled.event["type"] == "reservation.cancelled"
    assert cancelled.event["data"]["reservation"]["id"] == str(first)
    verify(cancelled, cancels_secret)
    with pytest.raises(AssertionError):
        verify(cancelled, secret)  # each webhook signs with its own secret

    # The receiver has a request a moment before the deliverer records it.
    await until(lambda: len(attempts(garage, cancels)) == 1, "the attempt recorded")
    await until(lambda: len(attempts(garage, everything)) == len(expected), "all recorded")
    shown = listed(garage)
    assert shown[str(everything)]["last_delivery"]["status"] == 200
    assert shown[str(cancels)]["last_delivery"]["attempts"] == 1
    assert [a["outcome"] for a in attempts(garage, everything)] == ["delivered"] * len(expected)


async def test_a_failing_receiver_gets_the_event_after_backoff_and_later_ones_wait(
    garage: Garage, receiver: Receiver, publisher: Any, deliverer: Any
) -> None:
    b = Building(garage)
    await settled(garage)
    counted = {o: attempts_counted(o) for o in ("failed", "delivered")}
    receiver.plan = [500, 500, 503]
    hook, secret = register(garage, receiver.url(), ["reservation.created"])
    first = b.book(0)
    await until(lambda: len(receiver.at("/hook")) >= 1, "the first attempt")
    second = b.book(2)  # published while the first is retried: it must wait its turn
    await until(lambda: len(receiver.at("/hook")) >= 5, "four attempts and the next", 45)

    got = receiver.at("/hook")
    ids = [r.event["data"]["reservation"]["id"] for r in got]
    assert ids == [str(first)] * 4 + [str(second)]
    assert len({r.event["id"] for r in got[:4]}) == 1  # the same event each time
    for r in got:
        verify(r, secret)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(got[:4])]
    # 1 s, 4 s, 16 s: never sooner (a little later is the poll and the clocks).
    for gap, backoff in zip(gaps, (1, 4, 16), strict=True):
        assert backoff - 0.2 <= gap < backoff + 3, gaps

    await until(lambda: len(attempts(garage, hook)) == 5, "the attempts recorded")
    log = attempts(garage, hook)
    assert [(a["attempt"], a["status"], a["outcome"]) for a in log] == [
        (1, 500, "failed"),
        (2, 500, "failed"),
        (3, 503, "failed"),
        (4, 200, "delivered"),
        (1, 200, "delivered"),
    ]
    assert log[0]["error"] == "HTTP 500"
    assert listed(garage)[str(hook)]["last_delivery"]["attempts"] == 1

    # Counted once the record is back in the deliverer (a moment after its commit).
    def delivered() -> float:
        return attempts_counted("delivered") - counted["delivered"]

    await until(lambda: delivered() >= 2, "both deliveries counted")
    assert attempts_counted("failed") - counted["failed"] == 3
    assert delivered() == 2


async def test_a_receiver_that_does_not_answer_counts_as_no_status(
    garage: Garage, receiver: Receiver, publisher: Any, deliverer: Any
) -> None:
    b = Building(garage)
    await settled(garage)
    receiver.plan = ["hang", "hang"]
    hook, _ = register(garage, receiver.url(), ["reservation.created"])
    b.book(0)
    await until(lambda: len(attempts(garage, hook)) >= 1, "the first attempt recorded")
    shown = listed(garage)[str(hook)]["last_delivery"]
    assert shown["status"] is None and shown["attempts"] == 1
    await until(lambda: len(attempts(garage, hook)) >= 3, "the third attempt recorded", 20)
    log = attempts(garage, hook)
    assert [(a["status"], a["outcome"]) for a in log] == [
        (None, "failed"),
        (None, "failed"),
        (200, "delivered"),
    ]
    assert log[0]["error"] == "no answer within 1 s"
    shown = listed(garage)[str(hook)]["last_delivery"]
    assert shown["status"] == 200 and shown["attempts"] == 3


async def test_an_event_past_its_24_hours_is_given_up_and_the_next_goes(
    garage: Garage,
    receiver: Receiver,
    publisher: Any,
    deliverer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    b = Building(garage)
    await settled(garage)
    receiver.plan = [500]
    # Registered with no deliverer looking yet: the event is aged before its first attempt.
    hook, _ = register(garage, receiver.url(), ["reservation.created"])
    with admin_connect(garage.db.admin_url) as admin:
        admin.execute(
            "UPDATE parkshare.webhook_state SET retry_at = now() + interval '1 hour'"
            " WHERE webhook_id = %s",
            (hook,),
        )
    old, new = b.book(0), b.book(2)
    await settled(garage)
    with admin_connect(garage.db.admin_url) as admin:
        admin.execute(
            "UPDATE parkshare.outbox SET published_at = now() - interval '25 hours'"
            " WHERE building_id = %s AND type = 'reservation.created'"
            " AND data -> 'reservation' ->> 'id' = %s",
            (garage.building_id, str(old)),
        )
        admin.execute(
            "UPDATE parkshare.webhook_state SET retry_at = NULL WHERE webhook_id = %s", (hook,)
        )
    with caplog.at_level(logging.WARNING, logger="parkshare.notify.webhooks"):
        await until(lambda: len(attempts(garage, hook)) >= 2, "both events tried")
    log = attempts(garage, hook)
    assert [(a["status"], a["outcome"]) for a in log] == [(500, "given_up"), (200, "delivered")]
    ids = [r.event["data"]["reservation"]["id"] for r in receiver.at("/hook")]
    assert ids == [str(old), str(new)]
    assert any("gave up" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("scheme", "host", "why"),
    [
        ("http", "127.0.0.1", "only https:// urls are accepted"),
        ("https", "127.0.0.1", "127.0.0.1 is a loopback address"),
        # Resolved at delivery time, and refused for what it resolves to.
        ("https", "localhost", "localhost resolves to 127.0.0.1: 127.0.0.1 is a loopback"),
    ],
)
async def test_a_url_refused_at_delivery_time_is_not_called(
    garage: Garage,
    receiver: Receiver,
    publisher: Any,
    deliverer: Any,
    caplog: pytest.LogCaptureFixture,
    scheme: str,
    host: str,
    why: str,
) -> None:
    b = Building(garage)
    await settled(garage)
    # Registered while loopback was allowed; the worker now runs with it refused.
    url = receiver.url().replace("http://127.0.0.1", f"{scheme}://{host}")
    hook, _ = register(garage, url, ["reservation.created"])
    with (
        environment(PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK="false"),
        caplog.at_level(logging.WARNING, logger="parkshare.notify.webhooks"),
    ):
        b.book(0)
        await until(lambda: len(attempts(garage, hook)) >= 1, "the refusal recorded")
        (refused,) = attempts(garage, hook)[:1]
        await asyncio.sleep(0.5)
    assert receiver.received == []
    assert refused["status"] is None and refused["outcome"] == "failed"
    assert refused["error"].startswith(f"refused: {why}"), refused["error"]
    assert any("not sent" in r.getMessage() for r in caplog.records)


def test_a_lease_keeps_a_second_worker_off_the_webhook(garage: Garage) -> None:
    b = Building(garage)
    hook, _ = register(garage, "http://127.0.0.1:9/hook", ["reservation.created"])
    b.book(0)
    _published_now(garage)
    claim = "SELECT * FROM parkshare.webhook_claim(10, 60)"
    first = [r for r in as_worker(garage, claim) if r["webhook_id"] == hook]
    assert [r["type"] for r in first] == ["reservation.created"]
    assert [r for r in as_worker(garage, claim) if r["webhook_id"] == hook] == []


def test_the_outbox_keeps_what_a_webhook_has_not_passed_for_24_hours(garage: Garage) -> None:
    b = Building(garage)
    register(garage, "http://127.0.0.1:9/hook", ["reservation.created"])
    b.book(0)
    with admin_connect(garage.db.admin_url) as admin:
        admin.execute(
            "UPDATE parkshare.outbox SET published_at = now() - interval '2 hours',"
            " stream_id = '9999999999999-' || id WHERE building_id = %s AND published_at IS NULL",
            (garage.building_id,),
        )
    prune = "SELECT parkshare.outbox_prune(%s) AS n"
    garage.system(prune, (timedelta(hours=1),))
    waiting = [r for r in garage.outbox() if r["stream_ms"] == 9999999999999]
    assert waiting, "pruned before the webhook passed them"
    with admin_connect(garage.db.admin_url) as admin:
        admin.execute(
            "UPDATE parkshare.outbox SET published_at = now() - interval '25 hours'"
            " WHERE building_id = %s AND stream_ms = 9999999999999",
            (garage.building_id,),
        )
    garage.system(prune, (timedelta(hours=1),))
    assert [r for r in garage.outbox() if r["stream_ms"] == 9999999999999] == []


def test_the_worker_process_delivers(
    database: TestDb, own_redis: RedisServer, receiver: Receiver
) -> None:
    """`parkshare worker` runs the deliverer beside its publisher (run_worker)."""
    with environment(PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK="true"):
        garage = Garage.create(database)
        try:
            b = Building(garage)
            hook, secret = register(garage, receiver.url(), ["reservation.created"])
            env = server_env(database, own_redis.url)
            with working(env, webhooks_allow_loopback="true", sweep_seconds="3600"):
                booked = b.book(0)
                wait_for(lambda: receiver.at("/hook"), what="the event at the receiver")
                wait_for(lambda: attempts(garage, hook), what="the attempt recorded")
        finally:
            garage.close()
    (got,) = receiver.at("/hook")
    verify(got, secret)
    assert got.event["data"]["reservation"]["id"] == str(booked)


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name `localhost` (not for 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_the_request_goes_to_the_checked_address_with_the_name_for_tls(
    tmp_path: Path, worker_env: None
) -> None:
    # An HTTPS receiver whose certificate names `localhost` only: the request connects to
    # the address checked (127.0.0.1), and still sends the name as SNI and Host and checks
    # the certificate against it.
    cert, key = _certificate(tmp_path)
    names: list[str | None] = []
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)

    def heard(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        names.append(name)

    server_tls.sni_callback = heard
    receiver = Receiver()
    receiver.start(server_tls)
    assert receiver.server is not None
    try:
        port = receiver.server.server_address[1]
        job = webhooks.Job(
            uuid4(),
            uuid4(),
            f"https://localhost:{port}/tls?x=1",
            b"",
            webhooks.Event(1, "1-0", "spot.updated", {"spot": {}}, datetime.now(UTC)),
        )
        secret = new_secret()
        job = dataclasses.replace(job, secret=seal_secret(secret, job.building_id))
        client_tls = ssl.create_default_context(cafile=str(cert))
        async with webhooks.client(client_tls) as http:
            attempt = await webhooks.send(http, job)
            assert attempt.status == 200, attempt.error
            # A connection each time: one made for another name is never reused.
            again = await webhooks.send(http, job)
            assert again.status == 200, again.error
        first, _ = receiver.at("/tls?x=1")
        assert first.headers["Host"] == f"localhost:{port}"
        assert names == ["localhost", "localhost"]
        verify(first, secret)
        # A certificate that does not name the host is refused, address or not.
        job = dataclasses.replace(job, url=f"https://127.0.0.1:{port}/tls")
        async with webhooks.client(client_tls) as http:
            refused = await webhooks.send(http, job)
        assert refused.status is None and refused.error is not None
    finally:
        receiver.stop()


def _published_now(garage: Garage) -> None:
    """Mark the building's waiting events published, as the publisher would (no Redis)."""
    with admin_connect(garage.db.admin_url) as admin:
        admin.execute(
            "UPDATE parkshare.outbox SET published_at = now(), stream_id = '9999999999999-' || id"
            " WHERE building_id = %s AND published_at IS NULL",
            (garage.building_id,),
        )


def attempted(garage: Garage, hook: UUID, outbox_id: int, status: int | None) -> list[Any]:
    with garage.conn.transaction():
        set_context(garage.conn, None, None)
        return garage.conn.execute(
            "SELECT * FROM parkshare.webhook_attempted(%s, %s, %s, %s, NULL, 5, 60)",
            (garage.building_id, hook, outbox_id, status),
        ).fetchall()


def test_a_late_record_of_an_event_already_passed_changes_nothing(garage: Garage) -> None:
    b = Building(garage)
    hook, _ = register(garage, "http://127.0.0.1:9/hook", ["reservation.created"])
    b.book(0)
    b.book(2)
    _published_now(garage)
    claim = "SELECT * FROM parkshare.webhook_claim(10, 60)"
    (first,) = [r for r in as_worker(garage, claim) if r["webhook_id"] == hook]
    (delivered,) = attempted(garage, hook, first["outbox_id"], 200)
    assert delivered["outcome"] == "delivered" and delivered["outbox_id"] != first["outbox_id"]
    # A stalled worker reporting a failure of the first event later: logged, nothing moves.
    (late,) = attempted(garage, hook, first["outbox_id"], 500)
    assert late["outcome"] == "failed" and late["outbox_id"] is None
    with admin_connect(garage.db.admin_url) as admin:
        state = admin.execute(
            "SELECT s.*, o.id AS passed FROM parkshare.webhook_state s"
            " JOIN parkshare.outbox o ON (o.stream_ms, o.stream_seq) = (s.after_ms, s.after_seq)"
            " AND o.building_id = s.building_id WHERE s.webhook_id = %s",
            (hook,),
        ).fetchone()
    assert state is not None
    assert state["passed"] == first["outbox_id"] and state["retry_at"] is None
    assert state["claimed_until"] is not None  # still the lease of the second event's sender


def test_a_webhook_removed_while_sending_is_left_alone(garage: Garage) -> None:
    b = Building(garage)
    hook, _ = register(garage, "http://127.0.0.1:9/hook", ["reservation.created"])
    b.book(0)
    _published_now(garage)
    claim = "SELECT * FROM parkshare.webhook_claim(10, 60)"
    (job,) = [r for r in as_worker(garage, claim) if r["webhook_id"] == hook]
    garage.call(garage.admin_id, "SELECT parkshare.delete_webhook(%s)", (hook,))
    assert attempted(garage, hook, job["outbox_id"], 200) == []


def test_the_backoff_quadruples_up_to_an_hour(garage: Garage) -> None:
    with admin_connect(garage.db.admin_url) as admin:
        waits = [
            admin.execute(
                "SELECT extract(epoch FROM parkshare.ps_webhook_backoff(%s))::int AS s", (n,)
            ).fetchone()["s"]  # type: ignore[index]
            for n in range(1, 9)
        ]
    assert waits == [1, 4, 16, 64, 256, 1024, 3600, 3600]


def test_the_workers_procedures_refuse_a_tenant_context_and_the_app_reads_no_secret(
    garage: Garage,
) -> None:
    for query in (
        "SELECT * FROM parkshare.webhook_claim(10, 60)",
        "SELECT * FROM parkshare.webhook_attempted(gen_random_uuid(), gen_random_uuid(),"
        " 1, 200, NULL, 1, 60)",
        "SELECT parkshare.webhook_log_prune('1 day')",
    ):
        with pytest.raises(Problem) as refused:
            garage.call(garage.admin_id, query)
        assert refused.value.code == "forbidden", query
    with pytest.raises(Problem) as refused:
        garage.call(garage.admin_id, "SELECT secret FROM parkshare.webhooks")
    assert refused.value.code == "forbidden"
