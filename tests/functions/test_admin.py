"""What a building's admin does over HTTP — invites and credit adjustments — and what every
authenticated route does with a missing or bad access token."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from joserfc import jwt
from joserfc.jwk import OKPKey

from parkshare.tokens import Principal, issue_access_token, signing_keys
from tests.conftest import TestDb
from tests.functions.conftest import PASSWORD, bearer, code_of, from_address, resident
from tests.support import Garage


async def post_admin(path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    async with from_address("admin") as http:
        return await http.post(path, json=body, headers=headers)


def as_admin(garage: Garage) -> dict[str, str]:
    return bearer(garage, garage.admin_id, "admin")


# --- invites -----------------------------------------------------------------------------


async def test_an_admin_invites_a_resident_for_seven_days(
    api_garage: Garage, api_database: TestDb
) -> None:
    answer = await post_admin("/invites", {}, as_admin(api_garage))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert set(body) == {"invite_code", "role", "expires_at"} and body["role"] == "resident"
    expires = datetime.fromisoformat(body["expires_at"])
    assert body["expires_at"].endswith("Z")
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    with psycopg.connect(api_database.admin_url) as conn:
        stored = conn.execute(
            "SELECT code_hash FROM parkshare.invites WHERE building_id = %s",
            (api_garage.building_id,),
        ).fetchall()
    # Only the hash is kept: the code is shown once, in this answer.
    assert stored == [(hashlib.sha256(body["invite_code"].encode()).hexdigest(),)]


async def test_an_admin_invite_makes_an_admin(api_garage: Garage) -> None:
    answer = await post_admin("/invites", {"role": "admin"}, as_admin(api_garage))
    assert answer.status_code == 201 and answer.json()["role"] == "admin"
    async with from_address("auth") as http:
        joined = await http.post(
            "/signup",
            json={
                "invite_code": answer.json()["invite_code"],
                "email": f"ada-{uuid.uuid4().hex[:8]}@example.test",
                "password": PASSWORD,
                "display_name": "Ada",
            },
        )
    assert joined.status_code == 201 and joined.json()["user"]["role"] == "admin"


async def test_a_resident_cannot_invite(api_garage: Garage) -> None:
    someone, _ = resident(api_garage)
    # Even one who claims to be an admin: the procedure reads the role from the database.
    for role in ("resident", "admin"):
        answer = await post_admin("/invites", {}, bearer(api_garage, someone, role))
        assert answer.status_code == 403 and code_of(answer) == "forbidden"


@pytest.mark.parametrize("body", [{"role": "owner"}, {"role": None}, {"roles": "admin"}])
async def test_invite_refuses_a_bad_body(api_garage: Garage, body: dict[str, Any]) -> None:
    answer = await post_admin("/invites", body, as_admin(api_garage))
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"


# --- credits -----------------------------------------------------------------------------


async def test_admin_adjusts_credits_with_a_reason(api_garage: Garage) -> None:
    someone, _ = resident(api_garage)
    granted = await post_admin(
        "/credits", {"user_id": str(someone), "amount": 7, "reason": "thanks"}, as_admin(api_garage)
    )
    assert granted.status_code == 201, granted.text
    entry = granted.json()
    assert (entry["user_id"], entry["amount"], entry["reason"]) == (str(someone), 7, "thanks")
    assert entry["id"] and entry["at"].endswith("Z")
    deducted = await post_admin(
        "/credits", {"user_id": str(someone), "amount": -2, "reason": "fix"}, as_admin(api_garage)
    )
    assert deducted.status_code == 201
    assert api_garage.balance(someone) == 55


@pytest.fixture
def other_garage(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


async def test_credit_refusals_each_with_its_code(api_garage: Garage, other_garage: Garage) -> None:
    someone, _ = resident(api_garage)
    stranger, _ = resident(other_garage)
    cases: list[tuple[dict[str, Any], dict[str, str], int, str]] = [
        (
            {"user_id": str(someone), "amount": 7, "reason": "me"},
            bearer(api_garage, someone),
            403,
            "forbidden",
        ),
        (
            {"user_id": str(uuid.uuid4()), "amount": 7, "reason": "x"},
            as_admin(api_garage),
            404,
            "user_not_found",
        ),
        (
            {"user_id": str(stranger), "amount": 7, "reason": "x"},
            as_admin(api_garage),
            404,
            "user_not_found",
        ),
        (
            {"user_id": str(someone), "amount": -100, "reason": "x"},
            as_admin(api_garage),
            402,
            "insufficient_credits",
        ),
        (
            {"user_id": str(someone), "amount": "7", "reason": "x"},
            as_admin(api_garage),
            422,
            "invalid_request",
        ),
        (
            {"user_id": str(someone), "amount": 7, "reason": ""},
            as_admin(api_garage),
            422,
            "invalid_request",
        ),
        ({"user_id": str(someone), "amount": 7}, as_admin(api_garage), 422, "invalid_request"),
    ]
    for body, headers, status, code in cases:
        answer = await post_admin("/credits", body, headers)
        assert (answer.status_code, code_of(answer)) == (status, code), body
    assert api_garage.balance(someone) == 50
    assert other_garage.balance(stranger) == 50


# --- access tokens -----------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bad_token(case: str, principal: Principal) -> str | None:
    claims = {
        "iss": "parkshare",
        "aud": "parkshare",
        "sub": str(principal.user_id),
        "bld": str(principal.building_id),
        "role": principal.role,
        "exp": int(time.time()) + 300,
    }
    key = signing_keys().keys[0]
    good = issue_access_token(principal)
    if case == "missing":
        return None
    if case == "expired":
        return issue_access_token(principal, now=time.time() - 3600)
    if case == "tampered":
        head, payload, signature = good.split(".")
        flipped = "A" if signature[0] != "A" else "B"
        return f"{head}.{payload}.{flipped}{signature[1:]}"
    if case == "alg none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if case == "audience":
        return jwt.encode(
            {"alg": "Ed25519", "kid": key.kid},
            claims | {"aud": "elsewhere"},
            key,
            algorithms=["Ed25519"],
        )
    if case == "foreign key":
        foreign = OKPKey.generate_key("Ed25519", private=True)
        return jwt.encode({"alg": "Ed25519"}, claims, foreign, algorithms=["Ed25519"])
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case", ["missing", "expired", "tampered", "alg none", "audience", "foreign key"]
)
async def test_bad_tokens_are_refused(api_garage: Garage, case: str) -> None:
    principal = Principal(api_garage.admin_id, api_garage.building_id, "admin")
    token = _bad_token(case, principal)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    answer = await post_admin("/invites", {}, headers)
    assert answer.status_code == 401
    assert code_of(answer) == ("unauthenticated" if case == "missing" else "invalid_token")
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_a_good_token_in_another_scheme_is_unauthenticated(api_garage: Garage) -> None:
    token = issue_access_token(Principal(api_garage.admin_id, api_garage.building_id, "admin"))
    answer = await post_admin("/invites", {}, {"Authorization": f"Token {token}"})
    assert answer.status_code == 401 and code_of(answer) == "unauthenticated"
