"""`just bench`: reserve over HTTP through the gateway beside the direct-SQL figure, as a ratio.

One command, one fresh database: first the `reserve` procedure called directly on 16
connections (as `just bench-sql` does), then `POST /fn/reserve` through the gateway served by
uvicorn (one worker process) at concurrency 16, each client its own resident and spot, in
successive 15-minute windows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from parkshare.config import get_settings
from parkshare.embedded import resolve_urls
from tests.bench.bench_sql import (
    CONCURRENCY,
    SLOT,
    Run,
    build_fixture,
    distinct_spots,
    fresh_database,
    report,
)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    args = parser.parse_args()

    # The server is a child of this process with the same environment, hence the same data
    # dir: the tokens issued here are signed with the key it verifies them with.
    urls = resolve_urls(get_settings())
    with fresh_database() as (admin_url, app_url):
        fx = build_fixture(admin_url, app_url, parkers=2 * CONCURRENCY, spots=CONCURRENCY + 1)

        sql_run = asyncio.run(distinct_spots(app_url, fx, args.seconds))

        # Other parkers than the SQL run's, so the HTTP run starts from an empty calendar;
        # each signed in as a login would be (a session the procedures check on every call).
        tokens = [fx.token(p) for p in fx.parkers[CONCURRENCY:]]
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
            first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=10)
            http_run = asyncio.run(
                http_distinct(base, tokens, fx.spots[:CONCURRENCY], args.seconds, first)
            )

    sql_rate = sql_run.outcomes["booked"] / sql_run.seconds
    http_rate = http_run.outcomes["booked"] / http_run.seconds
    print(f"reserve, {CONCURRENCY} clients on distinct spots, {args.seconds:g} s each")
    print(report("sql", sql_run))
    print(report("http", http_run))
    ratio = http_rate / sql_rate if sql_rate else 0.0
    print(f"reserve: sql {sql_rate:.1f}/s  http {http_rate:.1f}/s  ratio {ratio:.2f}")
    if not http_run.outcomes["booked"]:
        raise SystemExit(f"no booking over HTTP: {dict(http_run.outcomes)}")


if __name__ == "__main__":
    main()
