"""Helpers for the GraphQL tests: a query as a resident, through the function's real entry
point."""

from __future__ import annotations

from typing import Any

import httpx

from tests.functions.conftest import from_address


async def gql(
    query: str, headers: dict[str, str], variables: dict[str, Any] | None = None
) -> httpx.Response:
    async with from_address("graphql") as http:
        return await http.post(
            "/", json={"query": query, "variables": variables or {}}, headers=headers
        )


def data(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "errors" not in body, body["errors"]
    return dict(body["data"])
