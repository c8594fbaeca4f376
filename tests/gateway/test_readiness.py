"""Each function's /readyz: PostgreSQL always, Redis only where the function uses it, and
what the function prepares for its first request done by its first probe."""

from __future__ import annotations

import httpx
import pytest

from parkshare import functions, metrics
from parkshare.run.gateway import create_app


def gateway() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://gateway.test"
    )


@pytest.mark.parametrize("name", functions.available())
async def test_redis_is_reported_by_the_functions_that_use_it(pool: object, name: str) -> None:
    async with gateway() as http:
        answer = await http.get(f"/fn/{name}/readyz")
    assert answer.status_code == 200, answer.text
    uses_redis = {"redis": "ok"} if name in ("auth", "graphql") else {}
    assert answer.json() == {"status": "ok", "postgres": "ok", **uses_redis}


async def test_the_first_probe_prepares_graphql(pool: object) -> None:
    from parkshare.gql import view

    functions.module("graphql")
    declared = metrics._READINESS["graphql"]
    declared.prepared = False
    view.view.cache_clear()
    view.schema.cache_clear()
    async with gateway() as http:
        answer = await http.get("/fn/graphql/readyz")
        assert answer.status_code == 200
        assert declared.prepared and view.view.cache_info().currsize == 1
        query = await http.post("/fn/graphql", json={"query": "{ __typename }"})
    assert query.status_code == 401  # served by the view prepared above (and the Router)


async def test_a_function_that_cannot_prepare_is_not_ready(
    pool: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[int] = []

    async def failing() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("no schema")

    functions.module("me")
    monkeypatch.setitem(metrics._READINESS, "me", metrics.Readiness(prepare=failing))
    async with gateway() as http:
        first = await http.get("/fn/me/readyz")
        second = await http.get("/fn/me/readyz")
        third = await http.get("/fn/me/readyz")
    assert first.status_code == 503
    assert first.json() == {"status": "unavailable", "postgres": "ok", "function": "unavailable"}
    assert second.status_code == third.status_code == 200
    assert attempts == [1, 1]  # tried again until it succeeded, then never again
