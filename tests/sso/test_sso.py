"""Single sign-on end to end: a browser (httpx following redirects, keeping cookies) goes
from the gateway to a real OpenID Connect provider process and back, and the app trades the
one-time code for parkshare's own tokens. Then every way it must fail."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import psycopg

from tests.conftest import TestDb
from tests.sso.conftest import Sso, fragment_of, with_param


async def sign_in(
    sso: Sso, sub: str, *, authorize: str | None = None, browser: httpx.AsyncClient | None = None
) -> httpx.Response:
    """The resident's walk: start, the provider's page, submit, back through the callback.
    `authorize` replaces the provider URL the start sent the browser to (an attacker's
    tampering)."""
    own = browser is None
    http = browser or httpx.AsyncClient(follow_redirects=True)
    try:
        if authorize is None:
            page = await http.get(sso.start_url())
            assert page.status_code == 200 and str(page.url).startswith(sso.provider), page.text
            authorize = str(page.url)
        return await http.post(authorize, data={"sub": sub})
    finally:
        if own:
            await http.aclose()


async def exchange(sso: Sso, code: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{sso.gateway}/fn/auth/sso/exchange", json={"code": code})


async def me(sso: Sso, access_token: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(
            f"{sso.gateway}/fn/me", headers={"Authorization": f"Bearer {access_token}"}
        )


def audit_rows(database: TestDb, building: uuid.UUID, action: str) -> list[dict[str, Any]]:
    with psycopg.connect(database.admin_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(
            "SELECT * FROM parkshare.audit_log WHERE building_id = %s AND action = %s ORDER BY id",
            (building, action),
        ).fetchall()


def users_of(database: TestDb, building: uuid.UUID) -> int:
    with psycopg.connect(database.admin_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM parkshare.users WHERE building_id = %s", (building,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def problem_code(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return str(answer.json()["code"])


# --- the way in ------------------------------------------------------------------------


async def test_a_resident_signs_in_through_the_provider_and_calls_me(
    sso: Sso, api_database: TestDb
) -> None:
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(sub, email="ines@example.test", name="Inès Duval", email_verified=True)
    landed = await sign_in(sso, sub)
    # The browser ends in the app with a one-time code in the fragment, never a token.
    assert [r.status_code for r in landed.history][-2:] == [302, 303]
    location = landed.history[-1].headers["location"]
    assert location.startswith(f"{sso.gateway}/#sso_code=")
    assert "token" not in location
    code = fragment_of(landed)["sso_code"]

    tokens = await exchange(sso, code)
    assert tokens.status_code == 200, tokens.text
    assert set(tokens.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}
    page = await me(sso, tokens.json()["access_token"])
    assert page.status_code == 200, page.text
    user = page.json()["user"]
    assert user["display_name"] == "Inès Duval"
    assert user["email"] == "ines@example.test"  # the provider's, shown as a hint
    assert user["role"] == "resident" and user["sign_in"] == "sso"
    assert user["building_id"] == str(sso.garage.building_id)
    assert page.json()["credits"] == 50  # rule 7 holds for SSO residents too

    # The code works once.
    again = await exchange(sso, code)
    assert again.status_code == 401 and problem_code(again) == "invalid_token"
    assert len(audit_rows(api_database, sso.garage.building_id, "account.joined_by_sso")) == 1


async def test_the_same_subject_comes_back_as_the_same_resident(
    sso: Sso, api_database: TestDb
) -> None:
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(sub, email="a@example.test", name="A")
    first = await exchange(sso, fragment_of(await sign_in(sso, sub))["sso_code"])
    before = users_of(api_database, sso.garage.building_id)
    # The provider now says another address: the identity is the subject, not the email.
    await sso.set_user(sub, email="renamed@example.test", name="A")
    second = await exchange(sso, fragment_of(await sign_in(sso, sub))["sso_code"])
    assert users_of(api_database, sso.garage.building_id) == before
    one = (await me(sso, first.json()["access_token"])).json()["user"]
    two = (await me(sso, second.json()["access_token"])).json()["user"]
    assert one["id"] == two["id"] and two["email"] == "renamed@example.test"


async def test_an_email_matching_a_password_account_does_not_take_it_over(
    sso: Sso, api_database: TestDb
) -> None:
    admin_email = (
        psycopg.connect(api_database.admin_url)
        .execute("SELECT email FROM parkshare.users WHERE id = %s", (sso.garage.admin_id,))
        .fetchone()
    )
    assert admin_email is not None
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(sub, email=admin_email[0], email_verified=True)
    tokens = await exchange(sso, fragment_of(await sign_in(sso, sub))["sso_code"])
    user = (await me(sso, tokens.json()["access_token"])).json()["user"]
    assert user["id"] != str(sso.garage.admin_id) and user["role"] == "resident"


async def test_pkce_verifier_reaches_the_provider(sso: Sso) -> None:
    async with httpx.AsyncClient() as http:
        start = await http.get(sso.start_url())
    assert start.status_code == 302
    authorize = start.headers["location"]
    assert "code_challenge_method=S256" in authorize and "code_challenge=" in authorize
    # A challenge the client did not make: the provider (which checks PKCE) refuses the
    # code, because the verifier the client sends matches its own challenge only.
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        await browser.get(sso.start_url())  # the sign-in cookie, for a fresh authorization
        page = await browser.get(sso.start_url(), follow_redirects=False)
        tampered = with_param(page.headers["location"], code_challenge="A" * 43)
        landed = await sign_in(sso, "pkce-user", authorize=tampered, browser=browser)
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "PKCE" in landed.json()["detail"]


async def test_the_start_answers_a_secure_cookie_shape_and_no_cache(sso: Sso) -> None:
    async with httpx.AsyncClient() as http:
        start = await http.get(sso.start_url())
    cookie = start.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/fn/auth/sso/" in cookie
    assert start.headers["cache-control"] == "no-store"
    assert "parkshare_sso=" in cookie
    assert sso.client_secret not in start.headers["location"]


# --- the ways it must fail -----------------------------------------------------------------


async def failed_sign_in(sso: Sso, **tampering: Any) -> httpx.Response:
    await sso.tamper(**tampering)
    return await sign_in(sso, f"sub-{uuid.uuid4().hex[:8]}")


async def test_a_forged_state_is_refused(sso: Sso, api_database: TestDb) -> None:
    before = users_of(api_database, sso.garage.building_id)
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(sso.start_url(), follow_redirects=False)
        forged = with_param(page.headers["location"], state="forged-" + "x" * 30)
        landed = await sign_in(sso, "someone", authorize=forged, browser=browser)
    assert landed.status_code == 400 and problem_code(landed) == "invalid_state"
    assert users_of(api_database, sso.garage.building_id) == before
    refused = audit_rows(api_database, sso.garage.building_id, "security.sso_failed")
    assert refused and refused[-1]["detail"]["code"] == "invalid_state"


async def test_an_answer_in_another_browser_is_refused(sso: Sso) -> None:
    """Login CSRF: the victim's browser receives the attacker's code and state, but not
    the attacker's sign-in cookie."""
    async with httpx.AsyncClient() as attacker:
        page = await attacker.get(sso.start_url())
        submitted = await attacker.post(page.headers["location"], data={"sub": "attacker"})
    callback = submitted.headers["location"]
    assert callback.startswith(f"{sso.gateway}/fn/auth/sso/callback?")
    async with httpx.AsyncClient() as victim:
        landed = await victim.get(callback)
    assert landed.status_code == 400 and problem_code(landed) == "invalid_state"


async def test_a_wrong_nonce_is_refused(sso: Sso) -> None:
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(sso.start_url(), follow_redirects=False)
        other = with_param(page.headers["location"], nonce="another-nonce-" + "n" * 20)
        landed = await sign_in(sso, "nonce-user", authorize=other, browser=browser)
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "nonce" in landed.json()["detail"]


async def test_an_expired_id_token_is_refused(sso: Sso) -> None:
    past = int(time.time()) - 3600
    landed = await failed_sign_in(sso, exp=past, iat=past - 600)
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "exp" in landed.json()["detail"]


async def test_a_token_from_another_issuer_is_refused(sso: Sso) -> None:
    landed = await failed_sign_in(sso, iss="https://elsewhere.example.test")
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "elsewhere" in landed.json()["detail"]


async def test_a_token_for_another_client_is_refused(sso: Sso) -> None:
    landed = await failed_sign_in(sso, aud="some-other-client")
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "aud" in landed.json()["detail"]


async def test_a_token_signed_with_an_unpublished_key_is_refused(sso: Sso) -> None:
    landed = await failed_sign_in(sso, foreign_key=True)
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "signature" in landed.json()["detail"]


async def test_a_browser_is_sent_back_to_the_app_with_the_error(sso: Sso) -> None:
    await sso.tamper(iss="https://elsewhere.example.test")
    async with httpx.AsyncClient(
        follow_redirects=True, headers={"Accept": "text/html,application/xhtml+xml"}
    ) as browser:
        landed = await sign_in(sso, "html-user", browser=browser)
    assert fragment_of(landed) == {"sso_error": "sso_failed"}


async def test_the_provider_saying_no_is_a_refusal(sso: Sso) -> None:
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(sso.start_url())
        landed = await browser.post(str(page.url), data={"action": "deny"})
    assert landed.status_code == 401 and problem_code(landed) == "sso_failed"
    assert "access_denied" in landed.json()["detail"]


async def test_a_building_without_sso_says_so(sso: Sso) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(sso.start_url(uuid.uuid4()))
    assert answer.status_code == 404 and problem_code(answer) == "sso_not_configured"


# --- the building's gates --------------------------------------------------------------


async def test_the_email_domain_gate(sso: Sso) -> None:
    assert (await sso.configure(email_domain="Tower.Example")).status_code == 200
    outsider = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(outsider, email="x@gmail.example", email_verified=True)
    refused = await sign_in(sso, outsider)
    assert refused.status_code == 403 and problem_code(refused) == "sso_forbidden"

    unverified = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(unverified, email="y@tower.example", email_verified=False)
    refused = await sign_in(sso, unverified)
    assert refused.status_code == 403 and problem_code(refused) == "sso_forbidden"

    silent = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(silent, name="No Email")  # the provider sends no email claim
    refused = await sign_in(sso, silent)
    assert refused.status_code == 403 and problem_code(refused) == "sso_forbidden"

    insider = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(insider, email="z@TOWER.example", email_verified=True)
    assert "sso_code" in fragment_of(await sign_in(sso, insider))


async def test_the_group_gate(sso: Sso) -> None:
    assert (await sso.configure(required_group="garage")).status_code == 200
    member = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(member, email="m@example.test", groups=["staff", "garage"])
    assert "sso_code" in fragment_of(await sign_in(sso, member))
    for groups in (["staff"], None):
        other = f"sub-{uuid.uuid4().hex[:8]}"
        claims: dict[str, Any] = {"email": "o@example.test"}
        if groups is not None:
            claims["groups"] = groups
        await sso.set_user(other, **claims)
        refused = await sign_in(sso, other)
        assert refused.status_code == 403 and problem_code(refused) == "sso_forbidden"


async def test_a_disabled_resident_cannot_come_back_through_sso(sso: Sso) -> None:
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    await sso.set_user(sub, email="d@example.test")
    tokens = await exchange(sso, fragment_of(await sign_in(sso, sub))["sso_code"])
    user_id = (await me(sso, tokens.json()["access_token"])).json()["user"]["id"]
    async with httpx.AsyncClient() as http:
        disabled = await http.post(
            f"{sso.gateway}/fn/admin/residents/disable",
            json={"user_id": user_id},
            headers=sso.admin,
        )
    assert disabled.status_code == 200, disabled.text
    refused = await sign_in(sso, sub)
    assert refused.status_code == 403 and problem_code(refused) == "sso_forbidden"
    # And the session it had ended at once.
    assert (await me(sso, tokens.json()["access_token"])).status_code == 401


# --- the client secret -----------------------------------------------------------------


async def test_the_client_secret_is_sealed_and_never_answered(
    sso: Sso, api_database: TestDb
) -> None:
    async with httpx.AsyncClient() as http:
        shown = await http.get(f"{sso.gateway}/fn/admin/sso", headers=sso.admin)
    assert shown.status_code == 200
    assert shown.json()["sso"]["has_client_secret"] is True
    assert sso.client_secret not in shown.text
    with psycopg.connect(api_database.admin_url) as conn:
        row = conn.execute(
            "SELECT client_secret FROM parkshare.building_sso WHERE building_id = %s",
            (sso.garage.building_id,),
        ).fetchone()
    assert row is not None and sso.client_secret.encode() not in bytes(row[0])
    # Changing a gate keeps the secret: sign-in still works (the provider checks it).
    kept = await sso.configure(client_secret=None, email_domain=None)
    assert kept.status_code == 200 and kept.json()["sso"]["has_client_secret"] is True
    sub = f"sub-{uuid.uuid4().hex[:8]}"
    assert "sso_code" in fragment_of(await sign_in(sso, sub))
    # A wrong secret: the provider refuses the client, and so the sign-in fails.
    assert (await sso.configure(client_secret="not-the-secret")).status_code == 200
    refused = await sign_in(sso, sub)
    assert refused.status_code == 401 and problem_code(refused) == "sso_failed"
