"""Built-in accounts over HTTP: login and its rate limits, refresh rotation and reuse,
logout, sign-up with an invite, and the public keys."""

from __future__ import annotations

import hashlib
import logging
import random
import uuid
from typing import Any

import httpx
import psycopg
import pytest
import redis
import redis.asyncio as aioredis
from argon2 import PasswordHasher

from parkshare.config import get_settings
from parkshare.identity import passwords
from parkshare.identity.passwords import needs_rehash
from parkshare.store import redis_client
from parkshare.tokens import Principal, verify_access_token
from tests.conftest import TestDb
from tests.functions.conftest import PASSWORD, bearer, code_of, from_address, resident
from tests.support import Garage


async def login(email: str, password: str = PASSWORD, address: str | None = None) -> httpx.Response:
    async with from_address("auth", address) as http:
        return await http.post("/login", json={"email": email, "password": password})


def unknown_email() -> str:
    # Fresh each time: a fixed one would collect attempts across runs on a shared Redis.
    return f"nobody-{uuid.uuid4().hex[:8]}@example.test"


def admin_sql(database: TestDb, query: str, params: tuple[Any, ...]) -> list[Any]:
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


# --- login -------------------------------------------------------------------------------


async def test_login_answers_tokens_that_every_function_accepts(api_garage: Garage) -> None:
    user, email = resident(api_garage)
    answer = await login(email.upper())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"] == "bearer" and 0 < body["expires_in"] <= 900
    assert body["refresh_token"]
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
        admin_sql(
            api_database, "UPDATE parkshare.users SET disabled_at = now() WHERE id = %s", (user,)
        )
    answer = await login(
        unknown_email() if case == "unknown email" else email,
        "wrong password!" if case == "wrong password" else PASSWORD,
    )
    assert answer.status_code == 401 and code_of(answer) == "invalid_credentials"
    assert answer.json()["detail"] == "wrong email or password"
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_an_unknown_email_costs_a_password_verification_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = passwords
    verified: list[str] = []
    real = module.verify_password

    def counting(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return bool(real(password_hash, password))

    monkeypatch.setattr(module, "verify_password", counting)
    answer = await login(unknown_email())
    assert answer.status_code == 401
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


async def test_login_is_rate_limited_per_account_and_reset_by_success(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    for _ in range(4):
        assert (await login(email, "wrong password!")).status_code == 401
    assert (await login(email)).status_code == 200
    for _ in range(5):
        assert (await login(email.upper(), "wrong password!")).status_code == 401
    limited = await login(email)
    assert limited.status_code == 429 and code_of(limited) == "rate_limited"
    assert 0 < int(limited.headers["retry-after"]) <= 300


async def test_a_buildings_morning_behind_one_address_is_never_limited(
    api_garage: Garage,
) -> None:
    """Residents behind one public address sign in all morning, a few mistyping first: more
    sign-ins than any limit allows failures, and every correct one gets in."""
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.9"
    people = [resident(api_garage, f"Morning{i}")[1] for i in range(35)]
    for i, email in enumerate(people):
        if i % 10 == 0:
            assert (await login(email, "mistyped it!!", address=address)).status_code == 401
        answer = await login(email, address=address)
        assert answer.status_code == 200, (i, answer.text)


async def test_failed_logins_from_one_address_are_limited(
    api_garage: Garage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guessing across many accounts from one address meets the address's ceiling (set low
    here to keep the test short; successes never count against it)."""
    monkeypatch.setenv("PARKSHARE_LOGIN_FAILURES_PER_ADDRESS", "10")
    get_settings.cache_clear()
    try:
        _, email = resident(api_garage)
        address = f"10.{random.randrange(256)}.{random.randrange(256)}.1"
        for _ in range(12):
            assert (await login(email, address=address)).status_code == 200
        answers = [await login(unknown_email(), address=address) for _ in range(10)]
        assert [a.status_code for a in answers] == [401] * 10
        limited = await login(email, address=address)
        assert limited.status_code == 429 and code_of(limited) == "rate_limited"
        assert 0 < int(limited.headers["retry-after"]) <= 300
        assert (await login(email)).status_code == 200, "another address is not limited"
    finally:
        monkeypatch.delenv("PARKSHARE_LOGIN_FAILURES_PER_ADDRESS")
        get_settings.cache_clear()


async def test_every_spelling_of_an_address_counts_against_one_account(
    api_garage: Garage, api_database: TestDb
) -> None:
    """The limiter keys accounts as the login lookup finds them (PostgreSQL's one
    normalisation): a variant that logs into the account (capital I with a dot, decomposed
    accents, other cases) gets no fresh guesses."""
    user, email = resident(api_garage, "Ilse")
    local, domain = email.split("@")
    variants = [email.upper(), email.replace("i", "\u0130", 1), local.title() + "@" + domain]
    found = {
        v
        for v in variants
        if admin_sql(
            api_database,
            "SELECT 1 FROM parkshare.login_lookup(%s) WHERE user_id = %s",
            (v, user),
        )
    }
    assert email.replace("i", "\u0130", 1) in found, "the dotted capital I names the account"
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.3"
    for variant in [*sorted(found), email, email, email][:5]:
        assert (await login(variant, "wrong password!", address=address)).status_code == 401
    for variant in sorted(found):
        limited = await login(variant, address=address)
        assert limited.status_code == 429, variant


async def test_the_limiter_counts_under_its_documented_keys(
    api_garage: Garage, redis_client: redis.Redis
) -> None:
    _, email = resident(api_garage)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.2"
    await login(email.upper(), "wrong password!", address=address)
    account = f"ps:rl:login:acct:{hashlib.sha256(email.lower().encode()).hexdigest()}"
    assert redis_client.get(account) == b"1"
    assert redis_client.get(f"ps:rl:login:ip:{address}") == b"1"
    assert 0 < int(redis_client.ttl(account)) <= 300
    await login(email, address=address)
    assert redis_client.get(account) is None, "a success resets the account's count"
    assert redis_client.get(f"ps:rl:login:ip:{address}") == b"1", "and does not count itself"


async def test_login_works_while_redis_is_down(
    api_garage: Garage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, email = resident(api_garage)
    # Port 1 refuses connections at once: the limiter sees Redis down, not slow.
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.5)
    monkeypatch.setattr(redis_client, "_client", dead)
    try:
        with caplog.at_level(logging.WARNING, logger="parkshare.ratelimit"):
            answer = await login(email)
    finally:
        await dead.aclose()
    assert answer.status_code == 200, answer.text
    assert "rate limiter unavailable" in caplog.text


async def test_login_upgrades_an_outdated_password_hash(
    api_garage: Garage, api_database: TestDb
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    user, email = resident(api_garage, password_hash=weak)
    assert (await login(email, "wrong password!")).status_code == 401
    [(unchanged,)] = admin_sql(
        api_database, "SELECT password_hash FROM parkshare.users WHERE id = %s", (user,)
    )
    assert unchanged == weak, "a failed login changes nothing"
    assert (await login(email)).status_code == 200
    [(upgraded,)] = admin_sql(
        api_database, "SELECT password_hash FROM parkshare.users WHERE id = %s", (user,)
    )
    assert upgraded != weak and not needs_rehash(upgraded)
    assert (await login(email)).status_code == 200


# --- refresh and logout ------------------------------------------------------------------


async def tokens_of(api_garage: Garage) -> dict[str, Any]:
    user, email = resident(api_garage)
    answer = await login(email)
    assert answer.status_code == 200
    return dict(answer.json()) | {"user": user}


async def refresh(token: str) -> httpx.Response:
    async with from_address("auth") as http:
        return await http.post("/refresh", json={"refresh_token": token})


async def test_refresh_rotates_and_the_old_token_stops_working(api_garage: Garage) -> None:
    first = await tokens_of(api_garage)
    second = await refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert body["token_type"] == "bearer" and body["refresh_token"] != first["refresh_token"]
    assert verify_access_token(body["access_token"]).user_id == first["user"]
    old = await refresh(first["refresh_token"])
    assert old.status_code == 401 and code_of(old) == "invalid_token"


async def test_reusing_a_rotated_token_revokes_the_whole_family(api_garage: Garage) -> None:
    first = await tokens_of(api_garage)
    second = (await refresh(first["refresh_token"])).json()
    stolen = await refresh(first["refresh_token"])
    assert stolen.status_code == 401 and code_of(stolen) == "invalid_token"
    # The revocation was committed although the request that found the reuse was refused.
    newest = await refresh(second["refresh_token"])
    assert newest.status_code == 401 and code_of(newest) == "invalid_token"


async def test_another_login_is_another_family(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    laptop = (await login(email)).json()
    phone = (await login(email)).json()
    await refresh(laptop["refresh_token"])
    await refresh(laptop["refresh_token"])  # reuse: the laptop's family ends
    assert (await refresh(phone["refresh_token"])).status_code == 200


@pytest.mark.parametrize("case", ["unknown", "expired", "disabled user"])
async def test_refresh_refusals(api_garage: Garage, api_database: TestDb, case: str) -> None:
    tokens = await tokens_of(api_garage)
    token = tokens["refresh_token"]
    if case == "unknown":
        token = "never-issued"
    elif case == "expired":
        admin_sql(
            api_database,
            "UPDATE parkshare.refresh_tokens SET expires_at = now() - interval '1 second'"
            " WHERE user_id = %s",
            (tokens["user"],),
        )
    else:
        admin_sql(
            api_database,
            "UPDATE parkshare.users SET disabled_at = now() WHERE id = %s",
            (tokens["user"],),
        )
    answer = await refresh(token)
    assert answer.status_code == 401 and code_of(answer) == "invalid_token"


async def test_refresh_tokens_are_stored_only_as_hashes(
    api_garage: Garage, api_database: TestDb
) -> None:
    tokens = await tokens_of(api_garage)
    rows = admin_sql(
        api_database,
        "SELECT token_hash, expires_at - created_at FROM parkshare.refresh_tokens"
        " WHERE user_id = %s",
        (tokens["user"],),
    )
    [(stored, lifetime)] = rows
    assert stored == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    assert round(lifetime.total_seconds() / 86400) == 30


async def test_logout_ends_the_session_and_answers_the_same_for_any_token(
    api_garage: Garage,
) -> None:
    tokens = await tokens_of(api_garage)
    async with from_address("auth") as http:
        out = await http.post("/logout", json={"refresh_token": tokens["refresh_token"]})
        again = await http.post("/logout", json={"refresh_token": tokens["refresh_token"]})
        unknown = await http.post("/logout", json={"refresh_token": "never-issued"})
    assert out.status_code == again.status_code == unknown.status_code == 204
    assert out.content == unknown.content == b""
    after = await refresh(tokens["refresh_token"])
    assert after.status_code == 401 and code_of(after) == "invalid_token"


# --- sign-up -----------------------------------------------------------------------------


async def invite(garage: Garage, role: str = "resident") -> str:
    async with from_address("admin") as http:
        answer = await http.post(
            "/invites", json={"role": role}, headers=bearer(garage, garage.admin_id, "admin")
        )
    assert answer.status_code == 201, answer.text
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
    assert set(user) == {"id", "email", "display_name", "role", "building_id"}
    assert (user["email"], user["display_name"], user["role"], user["building_id"]) == (
        email,
        "Nia",
        "resident",
        str(api_garage.building_id),
    )
    assert api_garage.balance(uuid.UUID(user["id"])) == 50
    answer = await login(email)
    assert answer.status_code == 200
    assert verify_access_token(answer.json()["access_token"]).user_id == uuid.UUID(user["id"])


async def test_signup_with_a_used_invite_is_invalid_invite(api_garage: Garage) -> None:
    code = await invite(api_garage)
    assert (await signup(code, f"a-{uuid.uuid4().hex[:8]}@example.test")).status_code == 201
    used = await signup(code, f"b-{uuid.uuid4().hex[:8]}@example.test")
    assert used.status_code == 400 and code_of(used) == "invalid_invite"


async def test_signup_with_an_expired_or_unknown_invite_is_invalid_invite(
    api_garage: Garage, api_database: TestDb
) -> None:
    code = await invite(api_garage)
    admin_sql(
        api_database,
        "UPDATE parkshare.invites SET expires_at = now() - interval '1 second'"
        " WHERE code_hash = %s",
        (hashlib.sha256(code.encode()).hexdigest(),),
    )
    for attempt in (code, "made-up-code"):
        answer = await signup(attempt, f"late-{uuid.uuid4().hex[:8]}@example.test")
        assert answer.status_code == 400 and code_of(answer) == "invalid_invite"


async def test_signup_with_a_taken_email_in_any_case_is_email_taken(api_garage: Garage) -> None:
    _, taken = resident(api_garage)
    code = await invite(api_garage)
    answer = await signup(code, taken.upper())
    assert answer.status_code == 409 and code_of(answer) == "email_taken"
    # The refused sign-up did not spend the invite.
    assert (await signup(code, f"n-{uuid.uuid4().hex[:8]}@example.test")).status_code == 201


@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},
        {"role": "admin"},
        {"email": "not-an-email"},
        {"display_name": ""},
        {"display_name": "x" * 101},
        {"password": 1234567890123},
    ],
    ids=["short password", "unknown field", "email shape", "empty name", "long name", "type"],
)
async def test_signup_refuses_a_bad_body(api_garage: Garage, change: dict[str, Any]) -> None:
    code = await invite(api_garage)
    fresh = f"x-{uuid.uuid4().hex[:6]}@example.test"
    extra = dict(change)
    answer = await signup(code, str(extra.pop("email", fresh)), **extra)
    # A password too short to choose is a weak one; the rest does not match the schema.
    expected = "weak_password" if change == {"password": "short"} else "invalid_request"
    assert answer.status_code == 422 and code_of(answer) == expected
    assert (await signup(code, fresh)).status_code == 201, "a refused body spends nothing"


# --- keys --------------------------------------------------------------------------------


async def test_jwks_publishes_the_public_key_only() -> None:
    async with from_address("auth") as http:
        answer = await http.get("/jwks")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=300"
    [key] = answer.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"] and key["x"]
    assert "d" not in key
