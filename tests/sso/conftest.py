"""An OpenID Connect provider process and the gateway in front of the functions, both real
servers on their own ports; a browser is an httpx client that keeps cookies."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse
from uuid import UUID

import httpx
import pytest

from tests.conftest import TestDb
from tests.functions.conftest import bearer
from tests.gateway.conftest import free_port, gateway_command, server_env, serving
from tests.support import Garage

PROVIDER = Path(__file__).with_name("provider.py")


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, str(PROVIDER), "--port", str(port)]
    with serving(command, dict(os.environ), port) as base:
        yield base


@pytest.fixture(scope="module")
def gateway(api_database: TestDb, redis_url: str) -> Iterator[str]:
    port = free_port()
    env = server_env(api_database, redis_url)
    env["PARKSHARE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    with serving(gateway_command(port), env, port) as base:
        yield base


@dataclass
class Sso:
    """One building with single sign-on through the test provider."""

    garage: Garage
    provider: str
    gateway: str
    client_id: str
    client_secret: str

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.garage, self.garage.admin_id, "admin")

    async def configure(self, **settings: Any) -> httpx.Response:
        body = {
            "issuer": self.provider,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            **settings,
        }
        async with httpx.AsyncClient() as http:
            return await http.put(f"{self.gateway}/fn/admin/sso", json=body, headers=self.admin)

    async def set_user(self, sub: str, **claims: Any) -> None:
        async with httpx.AsyncClient() as http:
            answer = await http.put(f"{self.provider}/users/{sub}", json=claims)
        assert answer.status_code == 204, answer.text

    async def tamper(self, *, foreign_key: bool = False, **claims: Any) -> None:
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{self.provider}/_test/tamper", json={"claims": claims, "foreign_key": foreign_key}
            )
        assert answer.status_code == 204, answer.text

    def start_url(self, building: UUID | None = None) -> str:
        return f"{self.gateway}/fn/auth/sso/start?building={building or self.garage.building_id}"


@pytest.fixture
async def sso(api_garage: Garage, provider: str, gateway: str) -> AsyncIterator[Sso]:
    async with httpx.AsyncClient() as http:
        registered = await http.post(
            f"{provider}/oauth2/clients",
            json={
                "redirect_uris": [f"{gateway}/fn/auth/sso/callback"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
        )
    assert registered.status_code == 201, registered.text
    client = registered.json()
    made = Sso(api_garage, provider, gateway, client["client_id"], client["client_secret"])
    configured = await made.configure()
    assert configured.status_code == 200, configured.text
    yield made


def with_param(url: str, **changes: str) -> str:
    """`url` with some query parameters replaced."""
    parts = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunparse(parts._replace(query=urlencode(query)))


def fragment_of(answer: httpx.Response) -> dict[str, str]:
    """The fragment parameters of where the last redirect sent the browser."""
    location = answer.history[-1].headers["location"] if answer.history else ""
    return {k: v[0] for k, v in parse_qs(urlparse(location).fragment).items()}
