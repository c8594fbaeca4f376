"""Every command the image runs, started as the container starts it (its own process, PORT,
the manifests' environment), answering on its port."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from parkshare import functions
from parkshare.tokens import Principal, issue_access_token
from tests.conftest import TestDb
from tests.deploy.conftest import parkshare_command, running
from tests.gateway.conftest import free_port
from tests.support import Garage

WEB_CONFIG = Path(__file__).resolve().parents[2] / "knative" / "base" / "web-config.yaml"


def function_env(env: dict[str, str], name: str) -> dict[str, str]:
    """FUNCTION_TARGET and FUNCTION_SOURCE as each function's Knative Service sets them."""
    return dict(
        env,
        FUNCTION_TARGET=functions.target_of(name),
        FUNCTION_SOURCE=str(functions.source_of(name)),
    )


def token_of(garage: Garage, user: object) -> str:
    assert isinstance(user, type(garage.admin_id))
    return issue_access_token(
        Principal(user, garage.building_id, "resident", session_id=garage.session(user))
    )


@pytest.mark.parametrize("name", functions.available())
def test_serve_starts_each_function_on_its_port(
    name: str, container_env: dict[str, str], api_garage: Garage
) -> None:
    # A real route of each function: auth's keys, the others' refusal without a token.
    reads = ("auth", "me", "list-spots", "notifications", "calendar", "board", "map")
    method = "GET" if name in reads else "POST"
    path = {"auth": "/jwks", "admin": "/invites"}.get(name, "/")
    with running(["serve"], function_env(container_env, name)) as server:
        ready = httpx.get(server.base + "/readyz")
        answer = httpx.request(method, server.base + path, headers={"X-Request-Id": "probe-1"})
        metrics = httpx.get(server.base + "/metrics")
    assert ready.status_code == 200, ready.text
    # Redis is reported by the functions that use it (login limits, subscriptions) only.
    uses_redis = {"redis": "ok"} if name in ("auth", "graphql") else {}
    assert ready.json() == {"status": "ok", "postgres": "ok", **uses_redis}
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    if name == "auth":
        assert answer.status_code == 200 and answer.json()["keys"]
    else:
        assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"
    assert answer.headers["x-request-id"] == "probe-1"
    # The probes and /metrics are nobody's route: only the real request is counted.
    counted = {
        (s.labels["function"], s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(metrics.text)
        for s in family.samples
        if s.name == "parkshare_http_requests_total"
    }
    assert counted == {(name, path, method, str(answer.status_code)): 1.0}


async def test_graphql_serves_subscriptions_at_its_root(
    container_env: dict[str, str], api_garage: Garage
) -> None:
    user = api_garage.user("Sub")
    token = token_of(api_garage, user)
    with running(["serve"], function_env(container_env, "graphql")) as server:
        query = await asyncio.to_thread(
            httpx.post,
            server.base + "/",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        url = server.base.replace("http://", "ws://") + "/"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert ws.subprotocol == "graphql-transport-ws"
    assert query.status_code == 200 and query.json() == {"data": {"__typename": "Query"}}
    assert ack["type"] == "connection_ack"


async def test_other_functions_refuse_websockets(container_env: dict[str, str]) -> None:
    with running(["serve"], function_env(container_env, "reserve")) as server:
        url = server.base.replace("http://", "ws://") + "/"
        # Served without a WebSocket implementation: the upgrade is a plain GET, which the
        # function's Router refuses (reserve answers POST only).
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
    assert refused.value.response.status_code == 405


def test_serve_refuses_to_start_without_its_keys(container_env: dict[str, str]) -> None:
    env = function_env(container_env, "auth")
    del env["PARKSHARE_JWT_PRIVATE_KEYS"]
    done = subprocess.run(
        [parkshare_command(), "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "PARKSHARE_JWT_PRIVATE_KEYS is not set" in done.stderr


def test_cors_lets_the_web_app_call_a_function_from_its_origin(
    container_env: dict[str, str],
) -> None:
    origin = "https://web.parkshare.example.com"
    env = dict(function_env(container_env, "reserve"), PARKSHARE_CORS_ORIGINS=origin)
    with running(["serve"], env) as server:
        preflight = httpx.options(
            server.base + "/",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            },
        )
        other = httpx.options(
            server.base + "/",
            headers={
                "Origin": "https://elsewhere.example",
                "Access-Control-Request-Method": "POST",
            },
        )
        call = httpx.post(server.base + "/", headers={"Origin": origin})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
    assert call.status_code == 401
    assert call.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in call.headers["access-control-expose-headers"].lower()


async def test_relay_serves_sockets_health_and_metrics(
    container_env: dict[str, str], api_garage: Garage
) -> None:
    token = token_of(api_garage, api_garage.user("Listener"))
    with running(["relay"], container_env) as relay:
        ready = await asyncio.to_thread(httpx.get, relay.base + "/readyz")
        url = relay.base.replace("http://", "ws://") + "/ws"
        async with connect(url, subprotocols=["bearer", token]) as ws:  # type: ignore[list-item]
            await ws.send("ping")
            pong = json.loads(await asyncio.wait_for(ws.recv(), 10))
            metrics = await asyncio.to_thread(httpx.get, relay.base + "/metrics")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "redis": "ok"}
    assert pong == {"type": "pong"}
    assert "parkshare_relay_connections 1.0" in metrics.text


def queue_samples(text: str) -> dict[tuple[str, str | None], float]:
    return {
        (s.name, s.labels.get("state")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_worker_serves_its_metrics_and_stops_warmly(container_env: dict[str, str]) -> None:
    port = free_port()
    env = dict(container_env, PARKSHARE_WORKER_METRICS_PORT=str(port))
    with running(["worker"], env, port=port) as worker:
        # Its metrics answer from the start; RQ's worker registers itself a moment later.
        deadline = time.monotonic() + 30
        while True:
            samples = queue_samples(httpx.get(worker.base + "/metrics").text)
            if samples[("parkshare_queue_workers", None)] >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(30) == 0
        log = worker.log()
    assert samples[("parkshare_queue_up", None)] == 1
    assert ("parkshare_queue_jobs", "scheduled") in samples
    assert samples[("parkshare_queue_workers", None)] >= 1
    assert '"logger":"rq.worker"' in log, log  # JSON logs, RQ's included


def test_a_worker_stopped_while_it_starts_stops_warmly(container_env: dict[str, str]) -> None:
    # SIGTERM as soon as the metrics port answers: before (or while) RQ's worker takes the
    # signals over. A pod stopped during its start ends as cleanly as one stopped later.
    port = free_port()
    env = dict(container_env, PARKSHARE_WORKER_METRICS_PORT=str(port))
    for _ in range(3):
        with running(["worker"], env, port=port) as worker:
            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(30) == 0, worker.log()


def test_migrate_applies_then_finds_nothing_to_do(
    empty_database: TestDb, container_env: dict[str, str]
) -> None:
    env = dict(container_env, DATABASE_URL=empty_database.admin_url)
    env.pop("PARKSHARE_APP_DATABASE_URL")
    first = subprocess.run(
        [parkshare_command(), "migrate"], env=env, capture_output=True, text=True
    )
    second = subprocess.run(
        [parkshare_command(), "migrate"], env=env, capture_output=True, text=True
    )
    assert first.returncode == 0, first.stderr
    assert "applied 0001_schema.sql" in first.stdout
    assert second.returncode == 0 and second.stdout.strip() == "up to date"


def test_migrate_refuses_to_run_without_a_database_url(container_env: dict[str, str]) -> None:
    # Without the guard it would start an embedded PostgreSQL in the pod, migrate that and
    # report success while the real database stays as it was.
    env = {k: v for k, v in container_env.items() if k != "DATABASE_URL"}
    done = subprocess.run([parkshare_command(), "migrate"], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "DATABASE_URL is not set" in done.stderr


def test_web_serves_the_app_and_the_configmaps_config(
    tmp_path: Path, container_env: dict[str, str]
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>parkshare</title>")
    (dist / "assets" / "index-abc123.js").write_text("console.log('parkshare')")
    (dist / "config.json").write_text('{"functions": {}, "relay": "/ws", "demo": true}')
    config = tmp_path / "mounted" / "config.json"
    config.parent.mkdir()
    config_map = yaml.safe_load(WEB_CONFIG.read_text())
    config.write_text(config_map["data"]["config.json"])
    env = dict(container_env, PARKSHARE_WEB_DIST=str(dist), PARKSHARE_WEB_CONFIG=str(config))
    with running(["web"], env) as web:
        home = httpx.get(web.base + "/")
        deep = httpx.get(web.base + "/garage/today")
        asset = httpx.get(web.base + "/assets/index-abc123.js")
        served_config = httpx.get(web.base + "/config.json")
        missing = httpx.get(web.base + "/assets/gone.js")
        ready = httpx.get(web.base + "/readyz")
    assert home.status_code == 200 and "<title>parkshare</title>" in home.text
    assert home.headers["cache-control"] == "no-cache"
    assert deep.status_code == 200 and deep.text == home.text
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served_config.json() == json.loads(config_map["data"]["config.json"])
    assert served_config.headers["cache-control"] == "no-cache"
    assert missing.status_code == 404
    assert ready.json() == {"status": "ok", "app": "ok", "config": "ok"}


def test_web_refuses_to_start_without_a_built_app(
    tmp_path: Path, container_env: dict[str, str]
) -> None:
    env = dict(container_env, PARKSHARE_WEB_DIST=str(tmp_path / "nothing"))
    done = subprocess.run([parkshare_command(), "web"], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "holds no built web app" in done.stderr
