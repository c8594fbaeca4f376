"""The relay: building streams out to browsers over WebSockets, at `/ws`.

One reader task per building stream per process (not per client) blocks on `XREAD` and
offers each event to that building's sockets; `credits.changed` only to its user. Every
relay process reads the streams itself, so any number of them behind a load balancer each
deliver every event.

A lobby display connects with the subprotocols `display, <token>` instead of a resident's
`bearer, <token>`: it receives the garage's changes only (spot.updated, availability.changed,
reservation.*), never an event addressed to one resident, each without the members that name
or identify a person (stream.board_text). Every few seconds the hub asks the database which of
its displays are still live, in one statement, and closes the sockets of a revoked one (4401).

A client reconnecting with `?last_id=` first joins the live feed, then replays the stream
after `last_id`, then drains what the feed queued meanwhile, skipping what the replay sent:
no gap (the feed was listening before the replay read) and no duplicate (ids only grow).

Each building's feed keeps one bounded log of recent events that its clients read from at
their own pace. A client that falls further behind than the log holds (its socket stalled, its
network too slow) is dropped with 1013; it reconnects with its last id and loses nothing the
stream still holds. Its socket never stalls another.

Serve it inside the gateway, or alone: `uvicorn parkshare.live.relay:app`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast
from uuid import UUID

import psycopg
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from parkshare import audit, logs, metrics
from parkshare.config import get_settings
from parkshare.identity import displays
from parkshare.live import events
from parkshare.live.stream import Entry, board_text, stream_key
from parkshare.sessions import verify_live
from parkshare.store.embedded import resolve_urls
from parkshare.tokens import InvalidToken, Principal

log = logging.getLogger("parkshare.live.relay")

CLOSE_GOING_AWAY = 1001
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_BAD_REQUEST = 4400
CLOSE_BAD_TOKEN = 4401
BLOCK_MILLISECONDS = 5_000
READ_COUNT = 500
RETRY_SECONDS_MAX = 5.0
PONG = '{"type":"pong"}'
# How often the hub asks which of its displays are still live: a revoked one's sockets close
# within this and one round trip (the contract says within 5 seconds).
DISPLAY_CHECK_SECONDS = 2.0

StreamId = tuple[int, int]
RawEntry = tuple[bytes, dict[bytes, bytes]]
_STREAM_ID = re.compile(r"^(\d{1,20})(?:-(\d{1,20}))?$")


def parse_stream_id(text: str) -> StreamId | None:
    match = _STREAM_ID.match(text)
    if match is None:
        return None
    return int(match[1]), int(match[2] or 0)


# Not slotted: a display's text is worked out once, when the first display needs it.
@dataclass(frozen=True)
class Event:
    """One stream entry, encoded once for every socket that receives it."""

    id: StreamId
    user: str
    text: str

    @cached_property
    def board(self) -> str | None:
        """The event as displays receive it; None: not one for them."""
        return None if self.user else board_text(self.text)

    @classmethod
    def from_entry(cls, building_id: str, entry_id: bytes, fields: dict[bytes, bytes]) -> Event:
        entry = Entry.read(entry_id, fields)
        parsed = parse_stream_id(entry.id)
        assert parsed is not None  # Redis makes the ids
        return cls(parsed, entry.user, entry.client_text(building_id))


def _entries(raw: Any) -> list[RawEntry]:
    # redis-py types stream replies loosely; without decode_responses they are bytes.
    return list(raw or ())


class Client:
    """One socket, reading the feed's shared log at its own pace from its own cursor."""

    def __init__(
        self,
        ws: WebSocket,
        building_id: UUID,
        user_id: UUID | None = None,
        *,
        expires_at: int | None = None,
        display_id: UUID | None = None,
    ) -> None:
        self.ws = ws
        self.building = str(building_id)
        self.user = "" if user_id is None else str(user_id)
        self.expires_at = expires_at
        # A lobby display's socket (no user): what it receives is stripped of people.
        self.display_id = display_id
        self.feed: Feed | None = None
        self.cursor = 0
        self.wake = asyncio.Event()
        self.pong_due = False
        self.sent: StreamId = (0, 0)
        self.close_code: int | None = None
        self._writer: asyncio.Task[None] | None = None
        self.send_timeout = get_settings().relay_send_timeout_seconds

    @classmethod
    def of_resident(cls, ws: WebSocket, principal: Principal) -> Client:
        return cls(ws, principal.building_id, principal.user_id, expires_at=principal.expires_at)

    @classmethod
    def of_display(cls, ws: WebSocket, display: displays.Display) -> Client:
        return cls(ws, display.building_id, display_id=display.display_id)

    def visible(self, event: Event) -> bool:
        if self.display_id is not None:
            return event.board is not None
        return not event.user or event.user == self.user

    def drop(self, code: int) -> None:
        if self.close_code is None:
            self.close_code = code
        if self._writer is not None:
            self._writer.cancel()

    async def send(self, event: Event) -> None:
        # Ids only grow: what the replay sent is not sent again from the log. No timeout
        # here, on the hot path: a peer that stops reading stalls only this send, and the
        # feed drops it once it falls out of the log (or the replay's own timeout does).
        if event.id > self.sent:
            text = event.text if self.display_id is None else event.board
            assert text is not None  # visible() let it through
            await self.ws.send_text(text)
            self.sent = event.id
            metrics.RELAY_DELIVERED.inc()

    async def serve(self) -> None:
        """Until the peer leaves, the token expires, the client is dropped or shut down."""
        self._writer = asyncio.create_task(self._write())
        reader = asyncio.create_task(self._read())
        watched = {self._writer, reader}
        if self.expires_at is not None:
            watched.add(asyncio.create_task(self._expire(self.expires_at)))
        if self.close_code is not None:  # dropped while replaying
            self._writer.cancel()
        try:
            await asyncio.wait(watched, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in watched:
                task.cancel()
            await asyncio.gather(*watched, return_exceptions=True)
        if self.close_code is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(self.close_code), self.send_timeout)

    async def _write(self) -> None:
        assert self.feed is not None
        feed = self.feed
        try:
            while True:
                await self.wake.wait()
                self.wake.clear()
                if self.pong_due:
                    self.pong_due = False
                    await asyncio.wait_for(self.ws.send_text(PONG), self.send_timeout)
                while self.cursor < feed.end:
                    if self.cursor < feed.start:
                        self.close_code = CLOSE_TRY_AGAIN_LATER
                        return
                    event = feed.at(self.cursor)
                    self.cursor += 1
                    if self.visible(event):
                        await self.send(event)
        except TimeoutError:
            log.info("dropping a client of user %s that stopped reading", self.user)
            self.close_code = CLOSE_TRY_AGAIN_LATER

    async def _read(self) -> None:
        # Browsers cannot send protocol pings: `ping` (or {"type":"ping"}) is answered here.
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                text = await self.ws.receive_text()
                if text == "ping" or text.replace(" ", "") == '{"type":"ping"}':
                    self.pong_due = True
                    self.wake.set()

    async def _expire(self, expires_at: int) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        self.close_code = CLOSE_BAD_TOKEN


class Feed:
    """The one reader of a building's stream in this process, and the log of its recent
    events that every client of the building reads from (one copy, whatever the number of
    clients). A client whose cursor falls out of the log is dropped."""

    def __init__(self, hub: Hub, building_id: str) -> None:
        self.hub = hub
        self.building_id = building_id
        self.key = stream_key(building_id)
        self.clients: set[Client] = set()
        self.log: deque[Event] = deque()
        self.start = 0  # the sequence number of log[0]
        self.capacity = get_settings().relay_queue_max
        self.ready = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    @property
    def end(self) -> int:
        return self.start + len(self.log)

    def at(self, sequence: int) -> Event:
        return self.log[sequence - self.start]

    def append(self, batch: list[Event]) -> None:
        self.log.extend(batch)
        while len(self.log) > self.capacity:
            self.log.popleft()
            self.start += 1
        for client in list(self.clients):
            if client.cursor < self.start:
                log.info("dropping a slow client of user %s", client.user)
                client.drop(CLOSE_TRY_AGAIN_LATER)
            else:
                client.wake.set()

    async def _run(self) -> None:
        last: str | None = None
        delay = 0.1
        while True:
            try:
                redis = await self.hub.redis()
                if last is None:
                    newest = _entries(await redis.xrevrange(self.key, count=1))
                    last = newest[0][0].decode() if newest else "0-0"
                    self.ready.set()
                reply: Any = await redis.xread(
                    {self.key: last}, count=READ_COUNT, block=BLOCK_MILLISECONDS
                )
            except (RedisError, OSError) as exc:
                # Keep the clients: they receive what the stream gets once Redis is back,
                # read from where this feed stopped.
                log.warning("stream %s unavailable (%r), retrying in %.1fs", self.key, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_SECONDS_MAX)
                continue
            delay = 0.1
            streams = cast(list[tuple[bytes, Any]], reply or [])
            for _key, raw in streams:
                batch = [
                    Event.from_entry(self.building_id, entry_id, fields)
                    for entry_id, fields in _entries(raw)
                ]
                if batch:
                    last = "-".join(map(str, batch[-1].id))
                    metrics.RELAY_READ.inc(len(batch))
                    self.append(batch)


class Hub:
    """The feeds of this process, created with their first client and ended with the last."""

    def __init__(self) -> None:
        self.feeds: dict[str, Feed] = {}
        self._redis: aioredis.Redis | None = None
        # The display sockets of this process, and the task checking they are still live.
        self.displays: set[Client] = set()
        self._display_check: asyncio.Task[None] | None = None

    async def redis(self) -> aioredis.Redis:
        if self._redis is None:
            # Blocking reads: the socket timeout must outlast the block.
            self._redis = aioredis.Redis.from_url(
                resolve_urls(get_settings()).redis_url,
                socket_timeout=BLOCK_MILLISECONDS / 1000 + 5,
                socket_connect_timeout=2,
            )
        return self._redis

    def join(self, client: Client) -> Feed:
        building = client.building
        feed = self.feeds.get(building)
        if feed is None:
            feed = self.feeds[building] = Feed(self, building)
        client.feed, client.cursor = feed, feed.end
        feed.clients.add(client)
        if client.display_id is not None:
            self.displays.add(client)
            if self._display_check is None or self._display_check.done():
                self._display_check = asyncio.create_task(self._check_displays())
        return feed

    def leave(self, client: Client) -> None:
        building = client.building
        # The check ends by itself once no display is left (not cancelled here, in the
        # middle of a transaction).
        self.displays.discard(client)
        feed = self.feeds.get(building)
        if feed is None:
            return
        feed.clients.discard(client)
        if not feed.clients:
            feed.task.cancel()
            del self.feeds[building]

    async def _check_displays(self) -> None:
        """Every DISPLAY_CHECK_SECONDS, one question for all of this process's displays: which
        are still live. A revoked one's sockets are closed with 4401; a database that does not
        answer closes nothing (the displays were live when last asked)."""
        while self.displays:
            await asyncio.sleep(DISPLAY_CHECK_SECONDS)
            asked = {c.display_id for c in self.displays if c.display_id is not None}
            if not asked:
                continue
            try:
                live = await displays.still_live(asked)
            except (psycopg.Error, OSError) as exc:
                log.warning("could not check the displays (%r); checking again shortly", exc)
                continue
            for client in list(self.displays):
                if client.display_id not in live:
                    log.info("closing a socket of revoked display %s", client.display_id)
                    client.drop(CLOSE_BAD_TOKEN)

    async def replay(self, feed: Feed, client: Client, after: StreamId) -> None:
        # The feed must have fixed where it reads from, so that what it delivers and what
        # this range returns leave nothing between them.
        await feed.ready.wait()
        redis = await self.redis()
        start = f"({after[0]}-{after[1]}"
        while True:
            entries = _entries(await redis.xrange(feed.key, min=start, max="+", count=READ_COUNT))
            for entry_id, fields in entries:
                event = Event.from_entry(feed.building_id, entry_id, fields)
                if client.visible(event):
                    await asyncio.wait_for(client.send(event), client.send_timeout)
            if len(entries) < READ_COUNT:
                return
            start = "(" + entries[-1][0].decode()

    async def close(self) -> None:
        if self._display_check is not None:
            self._display_check.cancel()
            await asyncio.gather(self._display_check, return_exceptions=True)
            self._display_check = None
        for feed in list(self.feeds.values()):
            for client in list(feed.clients):
                client.drop(CLOSE_GOING_AWAY)
            feed.task.cancel()
            await asyncio.gather(feed.task, return_exceptions=True)
        self.feeds.clear()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


_hub: Hub | None = None


def get_hub() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub()
    return _hub


# Read at each scrape, so the hot path keeps no count of its own.
metrics.RELAY_CONNECTIONS.set_function(
    lambda: sum(len(f.clients) for f in _hub.feeds.values()) if _hub is not None else 0
)
metrics.RELAY_FEEDS.set_function(lambda: len(_hub.feeds) if _hub is not None else 0)


def _token(ws: WebSocket) -> tuple[str | None, str | None]:
    """The token and the subprotocol to accept with (browsers cannot set headers): `bearer`
    for a resident's access token, `display` for a lobby display's."""
    offered = [p.strip() for p in ws.scope.get("subprotocols", [])]
    if len(offered) >= 2 and offered[0].lower() in ("bearer", displays.SCHEME):
        return offered[1], offered[0]
    return ws.query_params.get("token"), None


async def _client(ws: WebSocket, token: str, subprotocol: str | None) -> Client | None:
    """The socket's client once its token holds, or None once the socket is closed: 4401 for a
    token refused, 1013 when the database cannot tell now."""
    try:
        if subprotocol is not None and subprotocol.lower() == displays.SCHEME:
            return Client.of_display(ws, await displays.open_display(token))
        return Client.of_resident(ws, await verify_live(token))
    except psycopg.Error as exc:
        # The token cannot be checked now; the client tries again with the same last_id.
        log.warning("socket refused for now: the database did not answer (%r)", exc)
        await ws.close(CLOSE_TRY_AGAIN_LATER, "try again shortly")
    except displays.RefusedDisplay as exc:
        await ws.close(CLOSE_BAD_TOKEN, "invalid or revoked display token")
        await audit.security("token_refused", connection=ws, reason=f"display: {exc}")
    except InvalidToken as exc:
        await ws.close(CLOSE_BAD_TOKEN, "invalid or expired token")
        if token:
            await audit.security(
                "token_refused",
                connection=ws,
                building_id=exc.building_id,
                user_id=exc.user_id,
                reason=str(exc),
            )
    return None


async def endpoint(ws: WebSocket) -> None:
    token, subprotocol = _token(ws)
    rid = logs.incoming_id(ws.headers)
    logs.request_id.set(rid)  # this socket's task: every line it logs carries the id
    await ws.accept(subprotocol=subprotocol, headers=[(b"x-request-id", rid.encode())])
    client = await _client(ws, token or "", subprotocol)
    if client is None:
        return
    after: StreamId | None = None
    if "last_id" in ws.query_params:
        after = parse_stream_id(ws.query_params["last_id"])
        if after is None:
            await ws.close(CLOSE_BAD_REQUEST, "last_id is not a stream id")
            return
    hub = get_hub()
    feed = hub.join(client)
    metrics.RELAY_OPENED.inc()
    try:
        if after is not None:
            try:
                await hub.replay(feed, client, after)
            except (RedisError, OSError, TimeoutError):
                # The client keeps its place: it asks again with the same last_id.
                client.drop(CLOSE_TRY_AGAIN_LATER)
        await client.serve()
    except (WebSocketDisconnect, RuntimeError, TimeoutError):
        pass  # the peer went away or stalled during the replay
    finally:
        hub.leave(client)
        if client.close_code is not None:
            metrics.RELAY_DROPPED.labels(str(client.close_code)).inc()


_publisher: asyncio.Task[None] | None = None


async def startup() -> None:
    """The relay's process publishes the outbox too (events.Publisher): it catches up on what
    a crash left behind as it starts, then publishes what each commit notifies."""
    global _publisher
    _publisher = asyncio.create_task(events.Publisher().run(), name="publisher")
    _publisher.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the outbox publisher stopped: %r", task.exception())


async def shutdown() -> None:
    global _hub, _publisher
    if _publisher is not None:
        _publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _publisher
        _publisher = None
    if _hub is not None:
        await _hub.close()
        _hub = None


async def readyz(request: Request) -> Response:
    """Readiness: the relay reads the streams' Redis, without which it delivers nothing.
    (Liveness is only that the process answers: an outage of Redis must not get relays
    restarted; they keep their sockets and resume reading when Redis is back.)"""

    async def redis_ping() -> None:
        await (await get_hub().redis()).ping()

    return await metrics.ready({"redis": redis_ping})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    from parkshare.store import db
    from parkshare.store.redis_client import close_redis

    await startup()
    yield
    await shutdown()
    await db.close_pool()
    await close_redis()


routes = [WebSocketRoute("/ws", endpoint), *metrics.probes(readyz)]
app = Starlette(routes=routes, lifespan=lifespan)
