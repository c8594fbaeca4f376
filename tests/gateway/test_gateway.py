"""The gateway serves every function unchanged, health, the API description and the web app;
each function also starts alone under functions-framework."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import redis.asyncio as aioredis
from openapi_spec_validator import validate
from pydantic import BaseModel

from parkshare import functions, openapi
from parkshare.run.gateway import create_app
from parkshare.store import redis_client
from tests.conftest import TestDb
from tests.functions.conftest import bearer
from tests.gateway.conftest import free_port, gateway_command, server_env, serving
from tests.support import Garage

CONTRACT = {
    ("post", "/fn/auth/login"),
    ("post", "/fn/auth/refresh"),
    ("post", "/fn/auth/logout"),
    ("post", "/fn/auth/signup"),
    ("get", "/fn/auth/jwks"),
    ("post", "/fn/admin/invites"),
    ("post", "/fn/add-spot"),
    ("post", "/fn/set-availability"),
    ("post", "/fn/recurring"),
    ("get", "/fn/recurring"),
    ("post", "/fn/recurring/pause"),
    ("post", "/fn/recurring/stop"),
    ("get", "/fn/list-spots"),
    ("post", "/fn/reserve"),
    ("post", "/fn/cancel"),
    ("post", "/fn/settle"),
    ("get", "/fn/me"),
    ("get", "/fn/calendar"),
    ("post", "/fn/calendar/rotate"),
    ("get", "/fn/calendar/feed/{token}.ics"),
    ("post", "/fn/request"),
    ("get", "/fn/request"),
    ("post", "/fn/request/withdraw"),
    ("post", "/fn/checkin"),
    ("post", "/fn/admin/displays"),
    ("get", "/fn/admin/displays"),
    ("post", "/fn/admin/displays/revoke"),
    ("get", "/fn/board"),
}


def gateway() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://gateway.test"
    )


async def test_readiness_checks_postgres_and_redis(pool: object) -> None:
    async with gateway() as http:
        answer = await http.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "postgres": "ok", "redis": "ok"}


async def test_readiness_names_the_part_that_fails_and_liveness_does_not_care(
    pool: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}", socket_timeout=0.5)
    monkeypatch.setattr(redis_client, "_client", nowhere)
    async with gateway() as http:
        ready = await http.get("/readyz")
        alive = await http.get("/healthz")
    await nowhere.aclose()
    assert ready.status_code == 503
    assert ready.json() == {"status": "degraded", "postgres": "ok", "redis": "unavailable"}
    # Liveness is the process answering: an outage of a server restarts nothing.
    assert alive.status_code == 200
    assert alive.json() == {"status": "ok"}


async def test_every_process_serves_the_same_operational_routes(
    pool: object, tmp_path: Path
) -> None:
    from parkshare.live.relay import app as relay_app
    from parkshare.run.serve import web_app

    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    apps = {"gateway": create_app(), "relay": relay_app, "web": web_app(tmp_path, None)}
    for name, app in apps.items():
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as http:
            alive = await http.get("/healthz")
            ready = await http.get("/readyz")
            figures = await http.get("/metrics")
        assert (alive.status_code, alive.json()) == (200, {"status": "ok"}), name
        assert ready.status_code == 200 and ready.json()["status"] == "ok", (name, ready.text)
        assert figures.status_code == 200, name
        assert "process_cpu_seconds_total" in figures.text, name
    # A caller from elsewhere gets no figures (the function's own /metrics is tested in
    # tests/deploy/test_metrics.py): the same rule through the same code.
    transport = httpx.ASGITransport(app=apps["web"], client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://p.test") as http:
        assert (await http.get("/metrics")).status_code == 401


async def test_openapi_is_valid_and_covers_the_whole_contract(pool: object) -> None:
    async with gateway() as http:
        document = (await http.get("/openapi.json")).json()
        page = await http.get("/docs")
    validate(document)
    routes = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert routes >= CONTRACT, CONTRACT - routes
    reserve = document["paths"]["/fn/reserve"]["post"]
    assert {"201", "402", "403", "404", "409", "422"} <= reserve["responses"].keys()
    assert page.status_code == 200 and "openapi.json" in page.text
    assert page.headers["content-type"].startswith("text/html")


def test_a_missing_function_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    present = tuple(name for name in functions.NAMES if name != "settle")
    monkeypatch.setattr(functions, "available", lambda: present)
    app = create_app()
    mounted = {getattr(route, "path", "") for route in app.routes}
    assert "/fn/settle" not in mounted and "/fn/cancel" in mounted
    assert "functions/settle/main.py is missing" in caplog.text
    assert "/fn/settle" not in openapi.document()["paths"]


def test_models_of_the_same_name_in_two_functions_both_keep_their_schema() -> None:
    class Window(BaseModel):
        start: datetime

    class Body(BaseModel):
        window: Window

    first = Body

    class Body(BaseModel):  # type: ignore[no-redef]
        label: str

    schemas = openapi._Schemas()
    refs = [schemas.ref(first, "reserve"), schemas.ref(Body, "add-spot")]
    assert refs == [
        {"$ref": "#/components/schemas/Body"},
        {"$ref": "#/components/schemas/AddSpotBody"},
    ]
    assert schemas.components["Body"]["properties"]["window"] == {
        "$ref": "#/components/schemas/Window"
    }
    assert "start" in schemas.components["Window"]["properties"]


async def test_functions_answer_through_the_gateway(pool: object, api_garage: Garage) -> None:
    async with gateway() as http:
        missing = await http.post(
            "/fn/cancel",
            json={"reservation_id": str(uuid4())},
            headers=bearer(api_garage, api_garage.admin_id, "admin"),
        )
        unknown = await http.get("/fn/reserve/nowhere")
        home = await http.get("/")
    assert missing.status_code == 404 and missing.json()["code"] == "reservation_not_found"
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert home.status_code == 200


def test_a_real_uvicorn_server_serves_the_gateway(
    api_database: TestDb, redis_url: str, api_garage: Garage
) -> None:
    port = free_port()
    with serving(gateway_command(port), server_env(api_database, redis_url), port) as base:
        assert httpx.get(base + "/healthz").json()["status"] == "ok"
        answer = httpx.post(
            base + "/fn/cancel",
            json={"reservation_id": str(uuid4())},
            headers=bearer(api_garage, api_garage.admin_id, "admin"),
        )
        assert answer.status_code == 404 and answer.json()["code"] == "reservation_not_found"


@pytest.mark.parametrize("name", functions.available())
def test_each_function_starts_alone_under_functions_framework(
    name: str, api_database: TestDb, redis_url: str
) -> None:
    executable = shutil.which("functions-framework", path=os.path.dirname(sys.executable))
    assert executable, "functions-framework is installed with the package"
    port = free_port()
    command = [
        executable,
        "--asgi",
        "--source",
        str(functions.source_of(name)),
        "--target",
        functions.target_of(name),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
    ]
    with serving(command, server_env(api_database, redis_url), port) as base:
        path = {"auth": "/jwks", "admin": "/invites"}.get(name, "/")
        answer = httpx.request(
            "GET"
            if name in ("auth", "me", "list-spots", "notifications", "calendar", "board", "map")
            else "POST",
            base + path,
            json=None,
        )
    if name == "auth":
        assert answer.status_code == 200 and answer.json()["keys"]
    else:
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "unauthenticated"


# --- every answer: security headers, and JSON for what nothing serves ------------------------


@pytest.mark.parametrize("path", ["/", "/docs", "/garage", "/fn/graphql"])
async def test_html_pages_carry_the_security_headers(pool: object, path: str) -> None:
    async with gateway() as http:
        answer = await http.get(path, headers={"accept": "text/html"})
    if answer.status_code == 404 and path != "/docs":
        pytest.skip("web/dist is not built")
    assert answer.headers["content-type"].startswith("text/html"), path
    assert answer.headers["x-content-type-options"] == "nosniff"
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "'unsafe-eval'" not in policy


async def test_every_answer_carries_nosniff(pool: object, api_garage: Garage) -> None:
    user = api_garage.user("Nils")
    async with gateway() as http:
        answers = [
            await http.get("/healthz"),
            await http.get("/openapi.json"),
            await http.get("/fn/me", headers=bearer(api_garage, user)),
            await http.get("/fn/me"),
            await http.get("/fn/nowhere"),
        ]
    assert all(a.headers.get("x-content-type-options") == "nosniff" for a in answers)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/fn/nowhere", 404, "not_found"),
        ("GET", "/fn/nowhere/deeper", 404, "not_found"),
        ("POST", "/fn/", 404, "not_found"),
        ("TRACE", "/fn/me", 405, "method_not_allowed"),
        ("TRACE", "/fn/me/", 405, "method_not_allowed"),
        ("POST", "/healthz", 405, "method_not_allowed"),
        ("DELETE", "/openapi.json", 405, "method_not_allowed"),
        ("GET", "/assets/missing.js", 404, "not_found"),
    ],
)
async def test_what_nothing_serves_is_problem_json(
    pool: object, method: str, path: str, status: int, code: str
) -> None:
    async with gateway() as http:
        answer = await http.request(method, path)
    if path.startswith("/assets") and not os.path.isdir("web/dist"):
        pytest.skip("web/dist is not built")
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
