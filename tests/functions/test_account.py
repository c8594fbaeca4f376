"""A resident's own account: their sessions (listed, ended at once), their password (changed,
ending every other session) and their display name (which the garage hears of)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from parkshare.tokens import verify_access_token
from tests.functions.conftest import PASSWORD, bearer, code_of, from_address, resident
from tests.support import Garage

NEW_PASSWORD = "a much longer new password"


async def login(email: str, password: str = PASSWORD, agent: str = "test") -> dict[str, Any]:
    async with from_address("auth") as http:
        answer = await http.post(
            "/login", json={"email": email, "password": password}, headers={"User-Agent": agent}
        )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def auth(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def auth_call(
    method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> httpx.Response:
    async with from_address("auth") as http:
        return await http.request(method, path, headers=headers, **kwargs)


async def me_status(tokens: dict[str, Any]) -> int:
    async with from_address("me") as http:
        return (await http.get("/", headers=auth(tokens))).status_code


async def test_sessions_are_listed_and_one_ends_at_once(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    phone = await login(email, agent="Phone")
    laptop = await login(email, agent="Laptop")
    listed = await auth_call("GET", "/sessions", auth(laptop))
    assert listed.status_code == 200, listed.text
    sessions = listed.json()["sessions"]
    assert sorted(s["user_agent"] for s in sessions) == ["Laptop", "Phone"]
    assert [s["user_agent"] for s in sessions if s["current"]] == ["Laptop"]
    phone_session = next(s["id"] for s in sessions if s["user_agent"] == "Phone")
    assert str(verify_access_token(phone["access_token"]).session_id) == phone_session

    ended = await auth_call(
        "POST", "/sessions/revoke", auth(laptop), json={"session_id": phone_session}
    )
    assert ended.status_code == 204, ended.text
    # The phone's access token is refused now, not when it expires; its refresh token too.
    assert await me_status(phone) == 401
    refreshed = await auth_call(
        "POST", "/refresh", {}, json={"refresh_token": phone["refresh_token"]}
    )
    assert refreshed.status_code == 401
    assert await me_status(laptop) == 200
    remaining = (await auth_call("GET", "/sessions", auth(laptop))).json()["sessions"]
    assert [s["user_agent"] for s in remaining] == ["Laptop"]


async def test_a_refreshed_token_keeps_its_session(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    first = await login(email)
    refreshed = await auth_call(
        "POST", "/refresh", {}, json={"refresh_token": first["refresh_token"]}
    )
    assert refreshed.status_code == 200
    listed = (await auth_call("GET", "/sessions", auth(refreshed.json()))).json()["sessions"]
    assert len(listed) == 1 and listed[0]["current"] is True


async def test_nobody_ends_a_session_that_is_not_theirs(api_garage: Garage) -> None:
    _, mine = resident(api_garage, "Mia")
    _, theirs = resident(api_garage, "Tom")
    me, them = await login(mine), await login(theirs)
    their_session = (await auth_call("GET", "/sessions", auth(them))).json()["sessions"][0]["id"]
    for session in (their_session, str(uuid.uuid4())):
        answer = await auth_call("POST", "/sessions/revoke", auth(me), json={"session_id": session})
        assert answer.status_code == 404 and code_of(answer) == "session_not_found"
    assert await me_status(them) == 200


async def test_changing_the_password_ends_every_other_session(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    here, elsewhere = await login(email), await login(email)
    wrong = await auth_call(
        "POST",
        "/password",
        auth(here),
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 401 and code_of(wrong) == "invalid_credentials"
    changed = await auth_call(
        "POST",
        "/password",
        auth(here),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    assert await me_status(here) == 200
    assert await me_status(elsewhere) == 401
    async with from_address("auth") as http:
        old = await http.post("/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    await login(email, NEW_PASSWORD)


async def test_a_resident_without_a_password_cannot_change_one(api_garage: Garage) -> None:
    sso_like = api_garage.user("Sia")  # made without a password, as SSO residents are
    answer = await auth_call(
        "POST",
        "/password",
        bearer(api_garage, sso_like),
        json={"current_password": "anything", "new_password": NEW_PASSWORD},
    )
    assert answer.status_code == 409 and code_of(answer) == "no_password"


async def test_a_new_password_must_be_long_enough(api_garage: Garage) -> None:
    _, email = resident(api_garage)
    tokens = await login(email)
    answer = await auth_call(
        "POST",
        "/password",
        auth(tokens),
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert answer.status_code == 422 and code_of(answer) == "weak_password"
    assert "at least 10 characters" in answer.json()["detail"]


async def test_a_new_display_name_reaches_the_garage(api_garage: Garage) -> None:
    owner = api_garage.user("Olga")
    spot = api_garage.spot(owner)
    async with from_address("me") as http:
        answer = await http.patch(
            "/", json={"display_name": "Olga B."}, headers=bearer(api_garage, owner)
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"user": {"id": str(owner), "display_name": "Olga B."}}
        blank = await http.patch("/", json={"display_name": ""}, headers=bearer(api_garage, owner))
        assert blank.status_code == 422 and code_of(blank) == "invalid_request"
    [event] = [
        e for e in api_garage.outbox("spot.updated") if e["data"]["spot"]["id"] == str(spot)
    ][-1:]
    assert event["data"]["spot"]["owner"]["display_name"] == "Olga B."
