"""Webhook delivery, run by the worker on a thread of its own (`run_in_thread`).

Each webhook follows its building's stream (sql/repeatable/webhooks.sql): the worker claims
webhooks that have a published event to send, each with a lease, sends the head event, and
records what the receiver answered; the database then moves the webhook past it (delivered,
or given up after 24 hours) and hands over the next event under the same lease, or schedules
the retry (1 s, 4 s, 16 s, ... at most an hour). So a receiver gets a building's events in
stream order, at least once: a worker lost between a send and its record leaves the lease
to run out, and the event is sent again.

A request is an Event of the live stream (`{id, type, building_id, at, data}`, `id` the
stream id) POSTed with `X-Parkshare-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`, keyed by the secret's UTF-8 bytes. Before each send the URL's host is
resolved and every address checked (parkshare.notify.addresses); the request goes to the
checked address, with the host name kept for the Host header, SNI and the certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import math
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx2
import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from parkshare import metrics
from parkshare.config import get_settings
from parkshare.identity.sealed import Unsealable
from parkshare.instants import iso
from parkshare.notify.addresses import RESOLVE_SECONDS_MAX, Refused, Target, resolve
from parkshare.notify.webhook_registry import open_secret
from parkshare.store import db
from parkshare.store.embedded import resolve_urls
from parkshare.store.queries import load

log = logging.getLogger("parkshare.notify.webhooks")
SQL = load("webhooks")
SIGNATURE_HEADER = "X-Parkshare-Signature"
# How often the worker looks for published events (a query per poll, cheap when idle).
POLL_SECONDS = 0.25
SENDS_AT_ONCE_MAX = 32
PAUSE_AFTER_FAILURE_SECONDS = 1.0
LOG_KEEP = timedelta(days=7)
LOG_PRUNE_EVERY_SECONDS = 3600.0
ERROR_CHARACTERS_MAX = 1000


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True, slots=True)
class Event:
    outbox_id: int
    event_id: str  # the stream id
    type: str
    data: dict[str, Any]
    created_at: datetime

    def body(self, building_id: UUID) -> bytes:
        """The Event exactly as the relay writes it (parkshare.live.stream)."""
        head = json.dumps(
            {
                "id": self.event_id,
                "type": self.type,
                "building_id": str(building_id),
                "at": iso(self.created_at),
            },
            separators=(",", ":"),
        )
        return (
            head[:-1] + ',"data":' + json.dumps(self.data, separators=(",", ":")) + "}"
        ).encode()

    @classmethod
    def of(cls, row: DictRow) -> Event | None:
        if row["outbox_id"] is None:
            return None
        return cls(row["outbox_id"], row["event_id"], row["type"], row["data"], row["created_at"])


@dataclass(frozen=True, slots=True)
class Job:
    """One event for one webhook, under the lease of this worker."""

    building_id: UUID
    webhook_id: UUID
    url: str
    secret: bytes  # sealed
    event: Event


@dataclass(frozen=True, slots=True)
class Attempt:
    status: int | None  # the receiver's; None: no answer, or nothing sent
    error: str | None
    duration_ms: int


def lease_seconds() -> int:
    """Longer than one send can take (the lookup and the request), so that a lease runs out
    only for a worker that is gone."""
    return math.ceil(RESOLVE_SECONDS_MAX + get_settings().webhook_timeout_seconds) + 30


def client(verify: ssl.SSLContext | bool = True) -> httpx2.AsyncClient:
    """The deliverer's HTTP client. No proxy from the environment (the checked address is
    where it connects), no redirects (a 3xx is a failure, not somewhere else to go), and no
    connection kept for a next request: connections are keyed by address, and two names on
    one address (a CDN) must not share one made with the other's SNI and certificate."""
    return httpx2.AsyncClient(
        verify=verify,
        trust_env=False,
        follow_redirects=False,
        limits=httpx2.Limits(max_keepalive_connections=0),
    )


async def send(http: httpx2.AsyncClient, job: Job) -> Attempt:
    """POST the job's event to its webhook: the address checked now, the signature fresh."""
    settings = get_settings()
    started = time.monotonic()

    def done(status: int | None, error: str | None) -> Attempt:
        elapsed = round((time.monotonic() - started) * 1000)
        return Attempt(status, None if error is None else error[:ERROR_CHARACTERS_MAX], elapsed)

    try:
        target = await resolve(job.url, allow_loopback=settings.webhooks_allow_loopback)
    except Refused as exc:
        log.warning("webhook %s: not sent, %s", job.webhook_id, exc)
        return done(None, f"refused: {exc}")
    try:
        secret = open_secret(job.secret, job.building_id)
    except Unsealable:
        log.error("webhook %s: its secret does not open with PARKSHARE_SECRET_KEY", job.webhook_id)
        return done(None, "the signing secret does not open with this deployment's key")
    body = job.event.body(job.building_id)
    headers = {
        "Host": target.authority,
        "Content-Type": "application/json",
        "User-Agent": "parkshare-webhooks",
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
        "X-Parkshare-Event": job.event.type,
        "X-Parkshare-Event-Id": job.event.event_id,
    }
    # To the address just checked, not to the name (a second lookup could answer another);
    # the certificate is still checked against the name, which goes out as SNI.
    extensions = {} if target.literal else {"sni_hostname": target.host}
    timeout = settings.webhook_timeout_seconds
    try:
        async with asyncio.timeout(timeout):
            status = await _post(http, target, body, headers, extensions)
    except TimeoutError:
        return done(None, f"no answer within {timeout:g} s")
    except httpx2.HTTPError as exc:
        return done(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return done(status, None if 200 <= status < 300 else f"HTTP {status}")


async def _post(
    http: httpx2.AsyncClient,
    target: Target,
    body: bytes,
    headers: dict[str, str],
    extensions: dict[str, Any],
) -> int:
    """The receiver's status, from the first checked address that takes the connection (a
    name with an IPv6 address first on a machine without IPv6 still reaches its IPv4 one)."""
    for index, address in enumerate(target.addresses):
        request = http.build_request(
            "POST", target.pinned_url(address), content=body, headers=headers, extensions=extensions
        )
        try:
            # The status is all we need: the receiver's body is never read.
            response = await http.send(request, stream=True)
        except httpx2.ConnectError:
            if index == len(target.addresses) - 1:
                raise
            continue
        await response.aclose()
        return response.status_code
    raise AssertionError("a target has at least one address")


class Deliverer:
    """The worker's webhook sender: claims what is due, sends each webhook's events one after
    the other (different webhooks at once), records every attempt. Its own connections and
    HTTP client, bound to the event loop it runs in."""

    def __init__(self) -> None:
        self._app_url = resolve_urls(get_settings()).app_database_url
        self._pool: AsyncConnectionPool[psycopg.AsyncConnection[DictRow]] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._pruned_at = 0.0

    async def run(self) -> None:
        """Deliver until cancelled."""
        async with client() as http:
            try:
                while True:
                    claimed = 0
                    try:
                        claimed = await self._claim_and_send(http)
                        await self._prune_log()
                    except psycopg.Error as exc:
                        log.warning("webhooks wait: database error (%r)", exc)
                        await asyncio.sleep(PAUSE_AFTER_FAILURE_SECONDS)
                    except Exception:
                        # Whatever it was, the worker's other parts go on: so does this one.
                        log.exception("webhook delivery failed; again in a moment")
                        await asyncio.sleep(PAUSE_AFTER_FAILURE_SECONDS)
                    if not claimed:
                        await asyncio.sleep(POLL_SECONDS)
            finally:
                for task in list(self._sending):
                    task.cancel()
                await asyncio.gather(*self._sending, return_exceptions=True)
                if self._pool is not None:
                    await self._pool.close()

    async def _claim_and_send(self, http: httpx2.AsyncClient) -> int:
        room = SENDS_AT_ONCE_MAX - len(self._sending)
        if room <= 0:
            return 0
        params = {"limit": room, "lease_seconds": lease_seconds()}
        rows = await self._fetch(SQL["claim"], params)
        for row in rows:
            event = Event.of(row)
            assert event is not None
            job = Job(
                row["building_id"], row["webhook_id"], row["url"], bytes(row["secret"]), event
            )
            task = asyncio.create_task(self._deliver(http, job))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(rows)

    async def _deliver(self, http: httpx2.AsyncClient, job: Job) -> None:
        """The webhook's events while the database hands over the next one."""
        current: Job | None = job
        while current is not None:
            attempt = await send(http, current)
            try:
                current = await self._record(current, attempt)
            except psycopg.Error as exc:
                # Unrecorded: the lease runs out and the event goes again (at least once).
                log.warning("webhook %s: attempt not recorded (%r)", job.webhook_id, exc)
                return
            except Exception:
                log.exception("webhook %s: attempt not recorded", job.webhook_id)
                return

    async def _record(self, job: Job, attempt: Attempt) -> Job | None:
        params = {
            "building_id": job.building_id,
            "webhook_id": job.webhook_id,
            "outbox_id": job.event.outbox_id,
            "status": attempt.status,
            "error": attempt.error,
            "duration_ms": attempt.duration_ms,
            "lease_seconds": lease_seconds(),
        }
        rows = await self._fetch(SQL["attempted"], params)
        if not rows:
            return None  # the webhook was removed meanwhile
        row = rows[0]
        metrics.webhook_attempted(row["outcome"])
        if row["outcome"] == "given_up":
            log.warning(
                "webhook %s: gave up event %s (%s) after %d attempts over 24 h: %s",
                job.webhook_id,
                job.event.event_id,
                job.event.type,
                row["attempt"],
                attempt.error,
            )
        elif row["outcome"] == "failed":
            log.info(
                "webhook %s: event %s attempt %d failed (%s); retried later",
                job.webhook_id,
                job.event.event_id,
                row["attempt"],
                attempt.error,
            )
        following = Event.of(row)
        if following is None:
            return None
        return Job(job.building_id, job.webhook_id, job.url, job.secret, following)

    async def _prune_log(self) -> None:
        if time.monotonic() - self._pruned_at < LOG_PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        await self._fetch(SQL["log_prune"], {"keep": LOG_KEEP})

    async def _fetch(self, query: str, params: dict[str, Any]) -> list[DictRow]:
        pool = await self._connections()
        async with pool.connection() as conn, conn.transaction():
            # The worker's own work: no tenant context (the procedures refuse one).
            await db.aset_context(conn, None, None)
            return await (await conn.execute(query, params)).fetchall()

    async def _connections(self) -> AsyncConnectionPool[psycopg.AsyncConnection[DictRow]]:
        if self._pool is None:
            pool: AsyncConnectionPool[psycopg.AsyncConnection[DictRow]] = AsyncConnectionPool(
                self._app_url,
                open=False,
                # Short transactions (a claim, a record) between sends that take far longer.
                min_size=1,
                max_size=2,
                kwargs={"autocommit": False, "row_factory": dict_row},
                configure=_configure,
                connection_class=psycopg.AsyncConnection[DictRow],
            )
            try:
                await pool.open(wait=True)
            except BaseException:
                await pool.close()
                raise
            self._pool = pool
        return self._pool


async def _configure(conn: psycopg.AsyncConnection[DictRow]) -> None:
    await conn.execute("SET search_path = parkshare, public")
    await conn.commit()


def run_in_thread() -> tuple[threading.Thread, Any]:
    """The deliverer on a thread of its own with its own event loop (the worker's main thread
    belongs to RQ); answers (thread, stop) where stop() ends it."""
    loop = asyncio.new_event_loop()
    deliverer = Deliverer()
    task: asyncio.Task[None] | None = None

    def main() -> None:
        nonlocal task
        asyncio.set_event_loop(loop)
        task = loop.create_task(deliverer.run())
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
        loop.close()

    def stop() -> None:
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    thread = threading.Thread(target=main, name="webhooks", daemon=True)
    thread.start()
    return thread, stop
