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
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from psycopg import sql

from parkshare.config import get_settings
from parkshare.embedded import app_url_from_admin, resolve_urls, with_database
from parkshare.migrate import migrate
from tests.bench.bench_sql import CONCURRENCY, SLOT, Run, build_fixture, distinct_spots, report
from tests.gateway.conftest import free_port


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
            run.outcomes[
                "booked"
                if answer.status_code == 201
                else str(answer.json().get("code", answer.status_code))
            ] += 1
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

    keys_dir = tempfile.mkdtemp(prefix="parkshare-bench-")
    os.environ["PARKSHARE_DATA_DIR"] = keys_dir
    get_settings.cache_clear()
    from parkshare.tokens import Principal, issue_access_token

    urls = resolve_urls(get_settings())
    name = f"ps_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(urls.admin_database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    server: subprocess.Popen[bytes] | None = None
    try:
        admin_url = with_database(urls.admin_database_url, name)
        password = get_settings().app_db_password
        app_url = app_url_from_admin(admin_url, password.get_secret_value() if password else None)
        migrate(admin_url)
        fx = build_fixture(admin_url, app_url, parkers=2 * CONCURRENCY, spots=CONCURRENCY + 1)

        sql_run = asyncio.run(distinct_spots(app_url, fx, args.seconds))

        port = free_port()
        env = dict(
            os.environ,
            PARKSHARE_APP_DATABASE_URL=app_url,
            DATABASE_URL=admin_url,
            REDIS_URL=urls.redis_url,
            PARKSHARE_DB_POOL_MIN=str(CONCURRENCY),
            PARKSHARE_DB_POOL_MAX=str(CONCURRENCY),
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "parkshare.gateway:create_app",
                "--factory",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the gateway did not come up")
            time.sleep(0.2)

        tokens = [
            issue_access_token(Principal(p, fx.building_id, "resident"))
            for p in fx.parkers[CONCURRENCY:]
        ]
        first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=10)
        http_run = asyncio.run(
            http_distinct(base, tokens, fx.spots[:CONCURRENCY], args.seconds, first)
        )

        sql_rate = sql_run.outcomes["booked"] / sql_run.seconds
        http_rate = http_run.outcomes["booked"] / http_run.seconds
        print(f"reserve, {CONCURRENCY} clients on distinct spots, {args.seconds:.0f} s each")
        print(report("sql", sql_run))
        print(report("http", http_run))
        print(f"ratio http/sql = {http_rate / sql_rate:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        with psycopg.connect(urls.admin_database_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


if __name__ == "__main__":
    main()
