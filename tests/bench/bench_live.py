"""`just bench-live`: how fast a change reaches the residents watching the garage.

One command, one fresh database on the configured servers (DATABASE_URL/REDIS_URL, else the
embedded ones):
- click to screen: a resident reserves over HTTP through the gateway while another resident
  of the building listens on the gateway's /ws; the time from sending the request to the
  event arriving at the other resident;
- fan-out: N clients (1 as the baseline, then 1,000 and 5,000 by default) connected to one
  relay process (`uvicorn parkshare.live.relay:app`, a fresh one per N), 100 writes committed and
  published (paced, 20 per second unless `--rate`); the delivery latency from each commit to
  each client, the deliveries per second, and the relay's memory per connection (its
  resident set size with N clients minus with none, over N). Latencies are printed beside
  the 1-client baseline as ratios.

The clients run in separate processes, so their own work competes for the same two cores:
the figures are an upper bound of what the relay alone would take.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect

from parkshare.config import get_settings
from parkshare.store.embedded import resolve_urls
from tests.bench.bench_sql import SLOT, Fixture, build_fixture, fresh_database, percentile
from tests.gateway.conftest import free_port, gateway_command, serving, uvicorn_command

EVENTS = 100
CONNECT_CONCURRENCY = 200
LABEL_MARK = '"label":"'


@dataclass
class Figures:
    clients: int
    latencies_ms: list[float]
    expected: int
    rss_per_client_kib: float
    deliveries_per_second: float

    def line(self, baseline: Figures | None) -> str:
        p50, p99 = percentile(self.latencies_ms, 50), percentile(self.latencies_ms, 99)
        text = (
            f"N={self.clients:>5}  delivered={len(self.latencies_ms):>7}/{self.expected:<7}"
            f"  p50={p50:7.1f} ms  p99={p99:7.1f} ms"
            f"  max={max(self.latencies_ms):7.1f} ms"
            + (f"  memory/conn={self.rss_per_client_kib:6.1f} KiB" if self.clients >= 100 else "")
            + f"  deliveries/s={self.deliveries_per_second:8.0f}"
        )
        if baseline is not None:
            b50 = percentile(baseline.latencies_ms, 50)
            b99 = percentile(baseline.latencies_ms, 99)
            text += f"  (p50 x{p50 / b50:.1f}, p99 x{p99 / b99:.1f} of N=1)"
        return text


# --- the listening clients, in their own processes --------------------------------------


def _clients_main(
    url: str, token: str, count: int, ready: Any, results: Any, go: Any, expected: int
) -> None:
    asyncio.run(_clients(url, token, count, ready, results, go, expected))


async def _clients(
    url: str, token: str, count: int, ready: Any, results: Any, go: Any, expected: int
) -> None:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one() -> ClientConnection:
        async with gate:
            for attempt in range(10):
                try:
                    return await connect(
                        url,
                        subprotocols=["bearer", token],  # type: ignore[list-item]
                        open_timeout=60,
                        ping_interval=None,
                    )
                except (OSError, TimeoutError):
                    await asyncio.sleep(0.2 * (attempt + 1))
            raise RuntimeError("could not connect")

    sockets = await asyncio.gather(*(open_one() for _ in range(count)))
    ready.put(len(sockets))
    received: list[tuple[str, float]] = []

    async def read(ws: ClientConnection) -> None:
        for _ in range(expected):
            message = str(await ws.recv())
            at = time.time()
            # The label names the write; finding it is cheaper than parsing the JSON.
            begin = message.index(LABEL_MARK) + len(LABEL_MARK)
            received.append((message[begin : message.index('"', begin)], at))

    await asyncio.to_thread(go.wait)
    with contextlib.suppress(TimeoutError):  # what did not arrive is reported as undelivered
        await asyncio.wait_for(asyncio.gather(*(read(ws) for ws in sockets)), 180)
    results.put(received)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


# --- the writer --------------------------------------------------------------------------


async def _write_and_publish(fx: Fixture, tag: str, rate: float) -> dict[str, float]:
    from parkshare.live import events
    from parkshare.store import db

    owner = fx.parkers[0]
    db.acting_session.set(fx.session(owner))
    committed: dict[str, float] = {}
    for n in range(EVENTS):
        label = f"{tag}-{n:03d}"
        await db.value(
            fx.building_id,
            owner,
            "SELECT parkshare.add_spot(%(label)s, NULL, NULL) AS spot",
            {"label": label},
        )
        committed[label] = time.time()
        await events.publish(fx.building_id)
        await asyncio.sleep(1 / rate)
    await db.close_pool()
    from parkshare.store.redis_client import close_redis

    await close_redis()
    return committed


def fan_out(env: dict[str, str], fx: Fixture, clients: int, rate: float) -> Figures:
    port = free_port()
    token = fx.token(fx.parkers[1])
    command = [*uvicorn_command("parkshare.live.relay:app", port), "--no-access-log"]
    command += ["--ws-per-message-deflate", "false"]
    ctx = mp.get_context("spawn")
    with serving(command, env, port) as base:
        relay = _listener_process(port)
        idle_rss = relay.memory_info().rss
        processes = 1 if clients < 1000 else 2
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        url = base.replace("http://", "ws://") + "/ws"
        workers = [
            ctx.Process(target=_clients_main, args=(url, token, n, ready, results, go, EVENTS))
            for n in shares
        ]
        for w in workers:
            w.start()
        connected = sum(ready.get(timeout=300) for _ in workers)
        time.sleep(1.0)  # let the relay settle its buffers before measuring it
        rss_per_client = (relay.memory_info().rss - idle_rss) / max(connected, 1) / 1024
        go.set()
        committed = asyncio.run(_write_and_publish(fx, f"n{clients}-{rate:g}", rate))
        received: list[tuple[str, float]] = []
        for _ in workers:
            received += results.get(timeout=300)
        for w in workers:
            w.join(60)
    latencies = [(at - committed[label]) * 1000 for label, at in received if label in committed]
    span = max((at for _, at in received), default=0.0) - min(committed.values())
    return Figures(
        clients, latencies, clients * EVENTS, rss_per_client, len(latencies) / max(span, 1e-9)
    )


def _listener_process(port: int) -> psutil.Process:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    raise RuntimeError(f"nothing listens on {port}")


# --- click to screen ---------------------------------------------------------------------


async def click_to_screen(base: str, fx: Fixture, bookings: int = 20) -> list[float]:
    watcher = fx.token(fx.parkers[1])
    parker = fx.token(fx.parkers[2])
    first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=12)
    latencies: list[float] = []
    ws = await connect(base.replace("http://", "ws://") + "/ws", subprotocols=["bearer", watcher])  # type: ignore[list-item]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for k in range(bookings):
            start = first + k * SLOT
            body = {
                "spot_id": str(fx.spots[0]),
                "start": start.isoformat(),
                "end": (start + SLOT).isoformat(),
            }
            began = time.perf_counter()
            answer = await http.post(
                "/fn/reserve", json=body, headers={"Authorization": f"Bearer {parker}"}
            )
            if answer.status_code != 201:
                raise SystemExit(f"booking failed: {answer.text}")
            while '"reservation.created"' not in str(await asyncio.wait_for(ws.recv(), 10)):
                pass
            latencies.append((time.perf_counter() - began) * 1000)
    await ws.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1000, 5000], help="fan-out sizes"
    )
    parser.add_argument(
        "--rate", type=float, default=20.0, help="writes per second during the fan-out"
    )
    args = parser.parse_args()
    redis_url = resolve_urls(get_settings()).redis_url
    with fresh_database() as (admin_url, app_url):
        fx = build_fixture(admin_url, app_url, parkers=3, spots=1)
        env = dict(
            os.environ,
            DATABASE_URL=admin_url,
            PARKSHARE_APP_DATABASE_URL=app_url,
            REDIS_URL=redis_url,
        )
        # This process publishes too: its lazily created pool and client read the same.
        os.environ.update(env)
        get_settings.cache_clear()

        port = free_port()
        with serving([*gateway_command(port), "--no-access-log"], env, port) as base:
            clicks = asyncio.run(click_to_screen(base, fx))
        print("click to screen: reserve over HTTP, seen by another resident on /ws")
        print(
            f"  {len(clicks)} bookings  p50={statistics.median(clicks):.1f} ms"
            f"  p99={percentile(clicks, 99):.1f} ms  max={max(clicks):.1f} ms"
        )

        print(f"fan-out: {EVENTS} writes at {args.rate:g}/s, commit to client, one relay process")
        baseline = fan_out(env, fx, 1, args.rate)
        print("  " + baseline.line(None))
        failed = False
        for clients in args.clients:
            figures = fan_out(env, fx, clients, args.rate)
            print("  " + figures.line(baseline))
            failed |= len(figures.latencies_ms) != figures.expected
        if failed:
            raise SystemExit("some events were not delivered")


if __name__ == "__main__":
    main()
