"""`just bench`: reserve over HTTP through the gateway beside the direct-SQL figure, as a ratio.

One command, one fresh database: first the `reserve` procedure called directly on 16
connections (as `just bench-sql` does), then `POST /fn/reserve` through the gateway served by
uvicorn (one worker process) at concurrency 16, each client its own resident and spot, in
successive 15-minute windows. Between them, the direct run again with 80 requests waiting
and once more with none (matching adds nothing to `reserve`: it runs when a window opens),
and what matching costs a window that opens while nobody waits (one index probe), beside a
reservation's p50.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from parkshare.config import get_settings
from parkshare.store.embedded import resolve_urls
from tests.bench.bench_sql import (
    CONCURRENCY,
    SLOT,
    Run,
    build_fixture,
    distinct_spots,
    fresh_database,
    lane,
    percentile,
    probe_us,
    queue_requests,
    report,
    withdraw_requests,
)
from tests.bench.profiling import MachineCpu, Profile, server_process
from tests.gateway.conftest import free_port, gateway_command, serving


def _outcome(answer: httpx.Response) -> str:
    if answer.status_code == 201:
        return "booked"
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        return str(answer.json().get("code"))
    return f"http_{answer.status_code}"


async def http_distinct(
    base: str, tokens: list[str], spots: list[uuid.UUID], seconds: float, first_start: datetime
) -> Run:
    run = Run()
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)

    async def worker(client: httpx.AsyncClient, i: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[i]}"}
        k = 0
        while time.perf_counter() < deadline:
            start = first_start + k * SLOT
            body = {
                "spot_id": str(spots[i]),
                "start": start.isoformat(),
                "end": (start + SLOT).isoformat(),
            }
            began = time.perf_counter()
            answer = await client.post("/fn/reserve", json=body, headers=headers)
            run.latencies_ms.append((time.perf_counter() - began) * 1000)
            run.outcomes[_outcome(answer)] += 1
            k += 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client, i) for i in range(CONCURRENCY)))
        run.seconds = time.perf_counter() - began
    return run


# wrk's Lua: each of its two threads books for its own half of the clients, each client in
# successive windows of its own spot, and the run ends with one JSON line of figures.
WRK_SCRIPT = """
local clients = %(clients)s
local first, slot = %(first)d, %(slot)d
local per_thread = #clients / 2
local threads = {}
function setup(thread)
  thread:set("offset", #threads * per_thread)
  table.insert(threads, thread)
end
local counter = 0
function request()
  local i = offset + counter %% per_thread + 1
  local k = math.floor(counter / per_thread)
  counter = counter + 1
  local s = first + k * slot
  local body = string.format('{"spot_id":"%%s","start":"%%s","end":"%%s"}', clients[i][2],
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", s), os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", s + slot))
  return wrk.format("POST", "/fn/reserve",
    {["Authorization"] = "Bearer " .. clients[i][1], ["Content-Type"] = "application/json"}, body)
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%%d,"errors":%%d,"seconds":%%f,"p50":%%f,"p99":%%f}\\n',
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk_distinct(
    base: str, tokens: list[str], spots: list[uuid.UUID], seconds: float, first_start: datetime
) -> dict[str, float] | None:
    """The same load from wrk (C, two threads, 16 connections), if it is installed: the
    figures without a Python load generator on the same two cores."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    clients = "{" + ",".join(f'{{"{t}","{s}"}}' for t, s in zip(tokens, spots, strict=True)) + "}"
    script = WRK_SCRIPT % {
        "clients": clients,
        "first": int(first_start.timestamp()),
        "slot": int(SLOT.total_seconds()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    done = subprocess.run(
        [wrk, "-t2", f"-c{CONCURRENCY}", f"-d{int(seconds)}s", "-s", lua.name, base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    os.unlink(lua.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("{")), None)
    if line is None:
        raise SystemExit(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    figures: dict[str, float] = json.loads(line)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the gateway during the HTTP run"
    )
    args = parser.parse_args()

    # The server is a child of this process with the same environment, hence the same data
    # dir: the tokens issued here are signed with the key it verifies them with.
    urls = resolve_urls(get_settings())
    with fresh_database() as (admin_url, app_url):
        # A group of CONCURRENCY parkers and spots per run (lanes 0-4: the three direct runs,
        # Python's client, wrk), each from now on, and one group more whose requests wait.
        fx = build_fixture(admin_url, app_url, parkers=6 * CONCURRENCY, spots=5 * CONCURRENCY)

        sql_run = asyncio.run(distinct_spots(app_url, fx, args.seconds))
        # Matching runs when a window opens, never in reserve: the same run again with a
        # queue of waiting requests (for windows nothing can serve), and the probe every
        # offer and cancellation makes when nobody waits for its window.
        probe = probe_us(admin_url, fx)
        requests = queue_requests(app_url, fx, lane(fx.parkers, 5))
        waiting = len(requests)
        queued_run = asyncio.run(distinct_spots(app_url, fx, args.seconds, group=1))
        # Nobody waiting again, right after: the run the queued one is compared with (the
        # first, on a cold database, measures warm-up as well).
        withdraw_requests(app_url, fx, requests)
        again_run = asyncio.run(distinct_spots(app_url, fx, args.seconds, group=2))

        # Parkers and spots of their own, so each HTTP run starts from an empty calendar; each
        # parker signed in as a login would be (a session the procedures check on every call).
        http_tokens = [fx.token(p) for p in lane(fx.parkers, 3)]
        wrk_tokens = [fx.token(p) for p in lane(fx.parkers, 4)]
        port = free_port()
        env = dict(
            os.environ,
            PARKSHARE_APP_DATABASE_URL=app_url,
            DATABASE_URL=admin_url,
            REDIS_URL=urls.redis_url,
            # One connection per client: the pool must not be what the run measures.
            PARKSHARE_DB_POOL_MIN=str(CONCURRENCY),
            PARKSHARE_DB_POOL_MAX=str(CONCURRENCY),
        )
        command = [*gateway_command(port), "--no-access-log"]
        with serving(command, env, port) as base:
            server = server_process(port)
            first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
            profile = Profile(server.pid, args.seconds - 2) if args.profile else None
            if profile is not None:
                profile.start()
            machine = MachineCpu(server)
            machine.start()
            http_run = asyncio.run(
                http_distinct(base, http_tokens, lane(fx.spots, 3), args.seconds, first)
            )
            used = machine.stop()
            wrk_figures = wrk_distinct(base, wrk_tokens, lane(fx.spots, 4), args.seconds, first)

    sql_rate = sql_run.outcomes["booked"] / sql_run.seconds
    http_rate = http_run.outcomes["booked"] / http_run.seconds
    print(f"reserve, {CONCURRENCY} clients on distinct spots, {args.seconds:g} s each")
    print(report("sql", sql_run))
    print(report("http", http_run))
    ratio = http_rate / sql_rate if sql_rate else 0.0
    booked = http_run.outcomes["booked"] or 1
    shares = "  ".join(f"{k} {1000 * v / booked:.2f}" for k, v in sorted(used.items()))
    print(f"CPU per booking over HTTP, ms: {shares}")
    print(f"reserve: sql {sql_rate:.1f}/s  http {http_rate:.1f}/s  ratio {ratio:.2f}")
    queued_rate = queued_run.outcomes["booked"] / queued_run.seconds
    again_rate = again_run.outcomes["booked"] / again_run.seconds
    print(report(f"sql+{waiting}w", queued_run))
    print(report("sql again", again_run))
    print(
        f"reserve with {waiting} requests waiting vs none: sql {queued_rate:.1f}/s"
        f" vs {again_rate:.1f}/s  ratio {queued_rate / again_rate if again_rate else 0.0:.2f}"
    )
    p50 = percentile(sql_run.latencies_ms, 50)
    print(
        f"matching when nobody waits: {probe:.1f} us per window opened"
        f" ({probe / 10 / p50 if p50 else 0.0:.2f} % of a reservation's p50 {p50:.2f} ms)"
    )
    if wrk_figures is None:
        print("wrk: not installed (apt-get install wrk), so no figures without Python's client")
    else:
        booked_wrk = wrk_figures["requests"] - wrk_figures["errors"]
        wrk_rate = booked_wrk / wrk_figures["seconds"]
        print(
            f"wrk       attempts={wrk_figures['requests']:6.0f}"
            f"  refused={wrk_figures['errors']:.0f}"
            f"  booked/s={wrk_rate:8.1f}  p50={wrk_figures['p50']:6.2f} ms"
            f"  p99={wrk_figures['p99']:6.2f} ms"
        )
        print(
            f"reserve (wrk): sql {sql_rate:.1f}/s  http {wrk_rate:.1f}/s"
            f"  ratio {wrk_rate / sql_rate:.2f}"
        )
    if profile is not None:
        print("gateway profile during the HTTP run:")
        print(profile.summary())
    if not http_run.outcomes["booked"]:
        raise SystemExit(f"no booking over HTTP: {dict(http_run.outcomes)}")


if __name__ == "__main__":
    main()
