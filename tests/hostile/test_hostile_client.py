"""A hostile client against a real `parkshare dev` (the gateway, the relay, the worker, as a
newcomer runs them): a building's morning behind one address, then every attack we know of.
Whatever it sends, nothing answers 5xx, no refused request changes a row, no traceback is
logged, and no secret it saw reaches a log line."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from parkshare.run.cli import DEMO_DOMAIN, DEMO_PASSWORD
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.servers import DevServer, parkshare_dev

# Every table a refused request could touch, with the columns the running worker may change
# meanwhile left out (publishing the outbox, a session's last use).
STATE = {
    "buildings": "*",
    "users": "*",
    "accounts": "*",
    "spots": "*",
    "availability": "*",
    "reservations": "*",
    "ledger_entries": "*",
    "invites": "*",
    "refresh_tokens": "*",
    "sessions": "id, user_id, revoked_at",
    "idempotency_keys": "*",
    "notifications": "*",
    "notification_preferences": "*",
    "outbox": "id, type, data",
}


@dataclass
class Hostile:
    server: DevServer
    database: TestDb
    http: httpx.Client
    answers: list[tuple[str, int]] = field(default_factory=list)
    # Everything secret this client saw or sent: none may show in the server's log.
    secrets: set[str] = field(default_factory=set)

    def send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        answer = self.http.request(method, path, **kw)
        self.answers.append((f"{method} {path}", answer.status_code))
        assert answer.status_code < 500, (method, path, answer.status_code, answer.text)
        kind = answer.headers.get("content-type", "")
        assert kind.startswith(("application/json", "application/problem+json", "text/html")), (
            method,
            path,
            kind,
        )
        if answer.status_code >= 400 and kind.startswith("application/problem+json"):
            assert answer.json()["code"], answer.text
        return answer

    def refused(self, method: str, path: str, code: str | None = None, **kw: Any) -> None:
        answer = self.send(method, path, **kw)
        assert 400 <= answer.status_code < 500, (method, path, answer.text)
        if code is not None:
            body = answer.json()
            found = body.get("code") or body["errors"][0]["extensions"]["code"]
            assert found == code, (method, path, body)

    def login(self, name: str, *, address: str | None = None) -> dict[str, str]:
        headers = {"x-forwarded-for": address} if address else {}
        answer = self.send(
            "POST",
            "/fn/auth/login",
            json={"email": f"{name}@{DEMO_DOMAIN}", "password": DEMO_PASSWORD},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        tokens: dict[str, str] = answer.json()
        self.secrets |= {tokens["access_token"], tokens["refresh_token"]}
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    def state(self) -> dict[str, str]:
        with admin_connect(self.database.admin_url) as conn:
            return {
                table: conn.execute(
                    f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                    f" AS digest FROM (SELECT {columns} FROM parkshare.{table}) t"
                ).fetchone()["digest"]  # type: ignore[index]
                for table, columns in STATE.items()
            }


@pytest.fixture(scope="module")
def hostile(
    database_factory: Callable[[str | None], TestDb], template_database: str, redis_url: str
) -> Iterator[Hostile]:
    database = database_factory(template_database)
    with (
        parkshare_dev(database, redis_url) as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):
        yield Hostile(server, database, http)


def signing_key(server: DevServer) -> KeySet:
    """The dev server's own signing key (under its data dir): a token signed with it is
    valid in every way a forger cannot fake, so only the server's other checks refuse it."""
    path = server.log.parent / "jwt" / "signing-keys.json"
    return KeySet.import_key_set(json.loads(path.read_text()))


def forge(server: DevServer, claims: dict[str, Any]) -> str:
    keys = signing_key(server)
    key = keys.keys[0]
    now = int(time.time())
    base = {
        "iss": "parkshare",
        "aud": "parkshare",
        "iat": now,
        "exp": now + 300,
        "role": "resident",
    }
    return jwt.encode(
        {"alg": "Ed25519", "kid": key.kid}, base | claims, key, algorithms=["Ed25519"]
    )


# --- a building's morning -------------------------------------------------------------------


def test_a_building_behind_one_address_signs_in_all_morning(hostile: Hostile) -> None:
    """Well past the old limit of 30 sign-ins per address in 5 minutes, from one address."""
    for _ in range(12):
        for name in ("alice", "bob", "carol", "dave"):
            hostile.login(name, address="198.51.100.20")
    assert sum(1 for what, status in hostile.answers if status == 200) >= 48


def test_guessing_one_account_in_any_spelling_is_limited(hostile: Hostile) -> None:
    """Five wrong guesses, each in another spelling of one address (cases, a dotted capital
    I), lock that account: no spelling gets fresh guesses. A resident of its own, so that
    the lock touches no other test's server (they share one Redis)."""
    admin = hostile.login("admin")
    invite = hostile.send("POST", "/fn/admin/invites", json={}, headers=admin).json()
    email = f"ilka-{uuid.uuid4().hex[:8]}@example.test"
    password = "a long and quite unusual phrase"
    joined = hostile.send(
        "POST",
        "/fn/auth/signup",
        json={
            "invite_code": invite["invite_code"],
            "email": email,
            "password": password,
            "display_name": "Ilka",
        },
    )
    assert joined.status_code == 201, joined.text
    hostile.secrets |= {invite["invite_code"], password}
    address = "198.51.100.21"
    spellings = [email, email.upper(), email.title(), email.replace("i", "\u0130", 1), email]
    for spelling in spellings:
        hostile.refused(
            "POST",
            "/fn/auth/login",
            "invalid_credentials",
            json={"email": spelling, "password": "not the password"},
            headers={"x-forwarded-for": address},
        )
    for spelling in [email, email.upper(), email.replace("i", "\u0130", 1)]:
        hostile.refused(
            "POST",
            "/fn/auth/login",
            "rate_limited",
            json={"email": spelling, "password": password},
            headers={"x-forwarded-for": address},
        )


# --- everything refused, nothing changed ---------------------------------------------------------


def test_hostile_input_is_refused_with_a_code_and_changes_nothing(hostile: Hostile) -> None:
    h = hostile
    alice = h.login("alice")
    admin = h.login("admin")
    spots = h.send("GET", "/fn/me", headers=alice).json()["spots"]
    spot = spots[0]["id"]
    invite = h.send("POST", "/fn/admin/invites", json={}, headers=admin).json()["invite_code"]
    h.secrets.add(invite)
    before = h.state()

    # 3: windows no answer can express
    for start, end in [
        ("2030-01-01T10:00:00Z", "9999-12-31T20:00:00-14:00"),
        ("9999-12-31T20:00:00-14:00", "9999-12-31T22:00:00-14:00"),
        ("1970-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
    ]:
        h.refused(
            "POST",
            "/fn/set-availability",
            "invalid_window",
            json={"spot_id": spot, "start": start, "end": end, "available": True},
            headers=alice,
        )
    h.refused(
        "POST",
        "/fn/reserve",
        "invalid_window",
        json={
            "spot_id": spot,
            "start": "9999-12-31T20:00:00-14:00",
            "end": "9999-12-31T21:00:00-14:00",
        },
        headers=admin,
    )
    # 4: 5xx on bad input
    h.refused(
        "GET",
        "/fn/list-spots",
        "invalid_window",
        params={"start": "9999-12-31T12:00:00Z"},
        headers=alice,
    )
    for before_id in ["99999999999999999999999", str(2**63), "-5", "abc"]:
        h.refused(
            "GET",
            "/fn/admin/ledger",
            "invalid_request",
            params={"before": before_id},
            headers=admin,
        )
        h.refused(
            "GET", "/fn/admin/audit", "invalid_request", params={"before": before_id}, headers=admin
        )
    json_headers = alice | {"content-type": "application/json"}
    for body in [b"null", b"true", b"5", b'"x"', b"\xff\xfe\x00", b"[", b'{"query": []}']:
        h.refused("POST", "/fn/graphql", content=body, headers=json_headers)
    h.refused(
        "POST",
        "/fn/graphql",
        "subscription_over_http",
        json={"query": "subscription { myCredits { credits } }"},
        headers=alice,
    )
    # 6: look-alike labels and names
    for label in [
        "PRB\u202e-1",
        "PRB\u200b-1",
        "\u200b",
        "\u2066B-1\u2069",
        "B\u00ad-1",
        "\ufeffB-1",
    ]:
        h.refused("POST", "/fn/add-spot", "invalid_request", json={"label": label}, headers=alice)
    h.refused(
        "PATCH", "/fn/me", "invalid_request", json={"display_name": "\u202eecilA"}, headers=alice
    )
    # 9: weak passwords
    for password in ["password123", "1234567890", "Parkshare2024!", "qwertyuiop"]:
        h.refused(
            "POST",
            "/fn/auth/signup",
            "weak_password",
            json={
                "invite_code": invite,
                "email": f"mallory-{uuid.uuid4().hex[:6]}@example.test",
                "password": password,
                "display_name": "Mallory",
            },
        )
    h.refused(
        "POST",
        "/fn/auth/signup",
        "weak_password",
        json={
            "invite_code": invite,
            "email": "trudy.doe@example.test",
            "password": "trudy.doe forever",
            "display_name": "Trudy",
        },
    )
    # 10: a correctly signed token without a live session
    alice_id = h.send("GET", "/fn/me", headers=alice).json()["user"]["id"]
    building = h.send("GET", "/fn/me", headers=alice).json()["building"]["id"]
    for sid in [None, str(uuid.uuid4())]:
        claims = {"sub": alice_id, "bld": building} | ({"sid": sid} if sid else {})
        forged = {"Authorization": f"Bearer {forge(h.server, claims)}"}
        h.secrets.add(forged["Authorization"].split()[1])
        for method, path in [("GET", "/fn/me"), ("GET", "/fn/list-spots")]:
            h.refused(method, path, "invalid_token", headers=forged)
        h.refused(
            "POST", "/fn/add-spot", "invalid_token", json={"label": "FORGED-1"}, headers=forged
        )
    # 11: answers that used to be plain text
    h.refused("GET", "/fn/nowhere", "not_found")
    h.refused("TRACE", "/fn/me", "method_not_allowed", headers=alice)
    h.refused("POST", "/healthz", "method_not_allowed")
    # Variants: bodies too big, of the wrong type, malformed, with unknown fields, with NUL,
    # numbers out of range, repeated parameters, tokens in the wrong place.
    h.refused(
        "POST",
        "/fn/add-spot",
        "payload_too_large",
        content=b"{" + b" " * 70_000 + b"}",
        headers=json_headers,
    )
    h.refused(
        "POST",
        "/fn/add-spot",
        "unsupported_media_type",
        content=b"label=x",
        headers=alice | {"content-type": "application/x-www-form-urlencoded"},
    )
    h.refused("POST", "/fn/add-spot", "invalid_json", content=b'{"label": ', headers=json_headers)
    h.refused(
        "POST",
        "/fn/add-spot",
        "invalid_request",
        json={"label": "X-1", "owner_id": alice_id},
        headers=alice,
    )
    h.refused("POST", "/fn/add-spot", "invalid_request", json={"label": "X\u0000-1"}, headers=alice)
    h.refused(
        "POST",
        "/fn/add-spot",
        "invalid_json",  # a lone surrogate is no text: the parser refuses it
        content=b'{"label": "X-1", "notes": "\\ud800"}',
        headers=json_headers,
    )
    h.refused(
        "POST",
        "/fn/admin/credits",
        "invalid_request",
        json={"user_id": alice_id, "amount": 10**30, "reason": "x"},
        headers=admin,
    )
    h.refused(
        "POST",
        "/fn/reserve",
        "invalid_request",
        json={"spot_id": "not-a-uuid", "start": "x", "end": "y"},
        headers=admin,
    )
    h.refused(
        "GET",
        "/fn/list-spots?start=2030-01-01T00:00:00Z&start=2030-01-02T00:00:00Z",
        "invalid_request",
        headers=alice,
    )
    h.refused(
        "GET", "/fn/me", "unauthenticated", params={"token": alice["Authorization"].split()[1]}
    )
    h.refused("POST", "/fn/auth/refresh", "invalid_token", json={"refresh_token": "x" * 40})
    h.refused("POST", "/fn/auth/login", "invalid_request", json={"email": ["a"], "password": {}})
    h.refused(
        "POST",
        "/fn/cancel",
        "reservation_not_found",
        json={"reservation_id": str(uuid.uuid4())},
        headers=alice,
    )
    deep = "{ me { upcoming { spot { owner { " + "a { " * 20 + "b" + " }" * 20 + " } } } } }"
    h.send("POST", "/fn/graphql", json={"query": deep}, headers=alice)
    h.send(
        "POST",
        "/fn/graphql",
        json={"query": "{ " + " ".join(f"a{i}: me {{ credits }}" for i in range(500)) + " }"},
        headers=alice,
    )
    h.refused("GET", "/fn/admin/export", headers=admin)

    assert h.state() == before, "a refused request changed a row"
    assert [a for a in h.answers if a[1] >= 500] == []


# --- 5, 7, 8: headers, the log, the metrics -------------------------------------------------------


def test_pages_carry_the_security_headers_and_every_answer_nosniff(hostile: Hostile) -> None:
    for path in ["/", "/docs", "/garage"]:
        page = hostile.send("GET", path, headers={"accept": "text/html"})
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"], path
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "same-origin"
    ide = hostile.send("GET", "/fn/graphql", headers={"accept": "text/html"})
    assert "frame-ancestors 'none'" in ide.headers["content-security-policy"]
    for path in ["/healthz", "/openapi.json", "/fn/me", "/fn/nowhere"]:
        assert hostile.http.get(path).headers["x-content-type-options"] == "nosniff", path


def test_metrics_are_refused_to_a_caller_from_elsewhere(hostile: Hostile) -> None:
    """Through a proxy on this machine (which the gateway trusts to name the client), a
    caller from another address is refused; one on the machine itself may scrape."""
    refused = hostile.http.get("/fn/reserve/metrics", headers={"x-forwarded-for": "203.0.113.50"})
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert hostile.http.get("/fn/reserve/metrics").status_code == 200


def test_no_secret_and_no_traceback_reaches_the_log(hostile: Hostile) -> None:
    """After a relay socket with its token in the query string, and everything above."""
    headers = hostile.login("bob")
    token = headers["Authorization"].split()[1]

    async def socket() -> None:
        url = hostile.server.base.replace("http://", "ws://") + f"/ws?token={token}"
        async with connect(url) as ws:
            await ws.send("ping")
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        try:
            async with connect(url.replace(token, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")) as ws:
                await asyncio.wait_for(ws.recv(), 5)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 4401

    asyncio.run(socket())
    time.sleep(1.0)  # the server writes its lines as it goes
    text = hostile.server.log.read_text(errors="replace")
    where = text.find("Traceback")
    assert where < 0, text[max(0, where - 1500) : where + 2500]
    leaked = sorted(s[:12] + "…" for s in hostile.secrets | {token} if s in text)
    assert leaked == [], f"secrets in the log: {leaked}"
    # The socket's line is there, with its token blanked (uvicorn logs the whole path).
    assert "/ws?token=[redacted]" in text, "the socket was logged, without its token"
