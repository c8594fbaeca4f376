"""Fixtures for these tests live in tests/conftest.py (shared with tests/gateway); the helpers
below are the ones the auth and admin tests share."""

from __future__ import annotations

import random
import uuid

import httpx

from parkshare import functions
from parkshare.identity.passwords import hash_password
from tests.conftest import bearer
from tests.support import Garage

__all__ = ["PASSWORD", "bearer", "code_of", "from_address", "resident"]

PASSWORD = "correct horse battery"


def from_address(name: str, address: str | None = None) -> httpx.AsyncClient:
    """A client of one function as seen from its own address, so that limits per address in
    one test never count another test's attempts (nor another run's, on a shared Redis)."""
    host = (
        address or f"127.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    )
    transport = httpx.ASGITransport(app=functions.load(name), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test")


def resident(
    garage: Garage, name: str = "Rita", password_hash: str | None = None
) -> tuple[uuid.UUID, str]:
    """A resident who logs in with PASSWORD (unless given another hash), and their email."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.test"
    row = garage.one(
        garage.admin_id,
        "SELECT id FROM parkshare.create_user(%s, %s, %s, 'resident')",
        (email, password_hash or hash_password(PASSWORD), name),
    )
    return row["id"], email


def code_of(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return str(answer.json()["code"])
