"""Built-in accounts over HTTP: login, refresh rotation and reuse, logout, sign-up, keys,
the rate limiter, and what every function does with a bad token."""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey

from parkshare import functions
from parkshare.passwords import hash_password
from parkshare.tokens import Principal, issue_access_token, verify_access_token
from tests.conftest import TestDb
from tests.functions.conftest import bearer
from tests.support import Garage

PASSWORD = "correct horse battery"


def from_address(name: str, address: str | None = None) -> httpx.AsyncClient:
    """A client of one function as seen from its own address, so that limits per address in
    one test never count another test's attempts."""
    host = (
        address or f"127.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    )
    transport = httpx.ASGITransport(app=functions.load(name), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test")


def resident(garage: Garage, name: str = "Rita", password: str = PASSWORD) -> tuple[uuid.UUID, str]:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.test"
    row = garage.one(
        garage.admin_id,
        "SELECT id FROM parkshare.create_user(%s, %s, %s, 'resident')",
        (email, hash_password(password), name),
    )
    return row["id"], email


async def login(email: str, password: str = PASSWORD, address: str | None = None) -> httpx.Response:
    async with from_address("auth", address) as http:
        return await http.post("/login", json={"email": email, "password": password})


def code_of(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return str(answer.json()["code"])


async def test_login_answers_tokens_that_every_function_accepts(api_garage: Garage) -> None:
    user, email = resident(api_garage)
    answer = await login(email.upper())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 900
    principal = verify_access_token(body["access_token"])
    assert principal == Principal(user, api_garage.building_id, "resident")
    async with from_address("me") as http:
        me = await http.get("/", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["credits"] == 50


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "disabled"])
async def test_login_refusals_are_indistinguishable(
    api_garage: Garage, api_database: TestDb, case: str
) -> None:
    user, email = resident(api_garage)
    if case == "disabled":
        import psycopg

        with psycopg.connect(api_database.admin_url, autocommit=True) as admin:
            admin.execute("UPDATE parkshare.users SET disabled_at = now() WHERE id = %s", (user,))
    answer = await login(
        "nobody@example.test" if case == "unknown email" else email,
        "wrong password!" if case == "wrong password" else PASSWORD,
    )
    assert answer.status_code == 401 and code_of(answer) == "invalid_credentials"
    assert answer.json()["detail"] == "wrong email or password"


async def test_login_is_rate_limited_per_account_and_reset_by_success(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    for _ in range(4):
        assert (await login(email, "wrong password!")).status_code == 401
    assert (await login(email)).status_code == 200
    for _ in range(5):
        assert (await login(email, "wrong password!")).status_code == 401
    limited = await login(email)
    assert limited.status_code == 429 and code_of(limited) == "rate_limited"
    assert int(limited.headers["retry-after"]) > 0


async def test_login_is_rate_limited_per_address(api_garage: Garage) -> None:
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.1"
    answers = [await login(f"guess{i}@example.test", address=address) for i in range(31)]
    assert [a.status_code for a in answers[:30]] == [401] * 30
    assert answers[30].status_code == 429


async def tokens_of(api_garage: Garage) -> dict[str, Any]:
    _, email = resident(api_garage)
    answer = await login(email)
    assert answer.status_code == 200
    return dict(answer.json())


async def refresh(token: str) -> httpx.Response:
    async with from_address("auth") as http:
        return await http.post("/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_the_old_token_stops_working(api_garage: Garage) -> None:
    first = await tokens_of(api_garage)
    second = await refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    verify_access_token(second.json()["access_token"])
    assert code_of(await refresh(first["refresh_token"])) == "invalid_token"


async def test_reusing_a_rotated_token_revokes_the_whole_family(api_garage: Garage) -> None:
    first = await tokens_of(api_garage)
    second = (await refresh(first["refresh_token"])).json()
    stolen = await refresh(first["refresh_token"])
    assert stolen.status_code == 401
    assert code_of(await refresh(second["refresh_token"])) == "invalid_token"


async def test_logout_ends_the_session(api_garage: Garage) -> None:
    tokens = await tokens_of(api_garage)
    async with from_address("auth") as http:
        out = await http.post("/logout", json={"refresh_token": tokens["refresh_token"]})
        again = await http.post("/logout", json={"refresh_token": "never-issued"})
    assert out.status_code == again.status_code == 204
    assert code_of(await refresh(tokens["refresh_token"])) == "invalid_token"


async def invite(garage: Garage, role: str = "resident") -> str:
    async with from_address("admin") as http:
        answer = await http.post(
            "/invites", json={"role": role}, headers=bearer(garage, garage.admin_id, "admin")
        )
    assert answer.status_code == 201, answer.text
    assert answer.json()["role"] == role
    return str(answer.json()["invite_code"])


async def signup(code: str, email: str, **extra: Any) -> httpx.Response:
    body = {"invite_code": code, "email": email, "password": PASSWORD, "display_name": "Nia"}
    async with from_address("auth") as http:
        return await http.post("/signup", json=body | extra)


async def test_signup_with_an_invite_then_login(api_garage: Garage) -> None:
    code = await invite(api_garage)
    email = f"nia-{uuid.uuid4().hex[:8]}@example.test"
    answer = await signup(code, email)
    assert answer.status_code == 201, answer.text
    user = answer.json()["user"]
    assert (user["email"], user["role"], user["building_id"]) == (
        email,
        "resident",
        str(api_garage.building_id),
    )
    assert (await login(email)).status_code == 200
    assert api_garage.balance(uuid.UUID(user["id"])) == 50
    used = await signup(code, f"other-{email}")
    assert used.status_code == 400 and code_of(used) == "invalid_invite"


async def test_signup_refusals(api_garage: Garage, api_database: TestDb) -> None:
    _, taken = resident(api_garage)
    code = await invite(api_garage)
    answer = await signup(code, taken.upper())
    assert answer.status_code == 409 and code_of(answer) == "email_taken"
    fresh = f"x-{uuid.uuid4().hex[:6]}@example.test"
    for email, extra in (
        (fresh, {"password": "short"}),
        (fresh, {"role": "admin"}),
        ("not-an-email", {}),
    ):
        bad = await signup(code, email, **extra)
        assert bad.status_code == 422 and code_of(bad) == "invalid_request", extra
    import psycopg

    with psycopg.connect(api_database.admin_url, autocommit=True) as admin:
        admin.execute(
            "UPDATE parkshare.invites SET expires_at = now() - interval '1 second'"
            " WHERE building_id = %s",
            (api_garage.building_id,),
        )
    expired = await signup(code, f"late-{uuid.uuid4().hex[:6]}@example.test")
    assert expired.status_code == 400 and code_of(expired) == "invalid_invite"


async def test_jwks_publishes_the_public_key_only() -> None:
    async with from_address("auth") as http:
        answer = await http.get("/jwks")
    assert answer.status_code == 200
    [key] = answer.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"]
    assert "d" not in key


async def test_only_an_admin_invites(api_garage: Garage) -> None:
    someone, _ = resident(api_garage)
    async with from_address("admin") as http:
        answer = await http.post("/invites", json={}, headers=bearer(api_garage, someone))
    assert answer.status_code == 403 and code_of(answer) == "forbidden"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "case", ["missing", "expired", "tampered", "alg none", "audience", "foreign key"]
)
async def test_bad_tokens_are_refused(api_garage: Garage, case: str) -> None:
    principal = Principal(api_garage.admin_id, api_garage.building_id, "admin")
    good = issue_access_token(principal)
    claims = {
        "iss": "parkshare",
        "aud": "parkshare",
        "sub": str(principal.user_id),
        "bld": str(principal.building_id),
        "role": "admin",
        "exp": int(time.time()) + 300,
    }
    token = {
        "missing": None,
        "expired": issue_access_token(principal, now=time.time() - 3600),
        "tampered": good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "audience": None,
        "foreign key": jwt.encode(
            {"alg": "Ed25519"},
            claims,
            OKPKey.generate_key("Ed25519", private=True),
            algorithms=["Ed25519"],
        ),
    }[case]
    if case == "audience":
        from parkshare.tokens import signing_keys

        key = signing_keys().keys[0]
        token = jwt.encode(
            {"alg": "Ed25519", "kid": key.kid},
            claims | {"aud": "elsewhere"},
            key,
            algorithms=["Ed25519"],
        )
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with from_address("admin") as http:
        answer = await http.post("/invites", json={}, headers=headers)
    assert answer.status_code == 401
    assert code_of(answer) == ("unauthenticated" if case == "missing" else "invalid_token")
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_admin_adjusts_credits_with_a_reason(api_garage: Garage) -> None:
    someone, _ = resident(api_garage)
    async with from_address("admin") as http:
        headers = bearer(api_garage, api_garage.admin_id, "admin")
        granted = await http.post(
            "/credits",
            headers=headers,
            json={"user_id": str(someone), "amount": 7, "reason": "thanks"},
        )
        too_much = await http.post(
            "/credits",
            headers=headers,
            json={"user_id": str(someone), "amount": -100, "reason": "x"},
        )
        stranger = await http.post(
            "/credits",
            headers=bearer(api_garage, someone),
            json={"user_id": str(someone), "amount": 7, "reason": "me"},
        )
    assert granted.status_code == 201 and granted.json()["amount"] == 7
    assert code_of(too_much) == "insufficient_credits"
    assert code_of(stranger) == "forbidden"
    assert api_garage.balance(someone) == 57
