"""What a hostile or careless client sends, over HTTP to the functions as they are served:
every refusal is a 4xx problem with a code, never a 5xx, and changes nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from parkshare import functions
from parkshare.tokens import Principal, issue_access_token
from tests.conftest import bearer
from tests.functions.conftest import code_of, resident
from tests.support import Garage, next_hour


def client(name: str, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=functions.load(name), client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url=f"http://{name}.test")


async def call(
    name: str, method: str, path: str = "/", headers: dict[str, str] | None = None, **kw: Any
) -> httpx.Response:
    async with client(name) as http:
        return await http.request(method, path, headers=headers, **kw)


# --- 3: windows no answer can express ----------------------------------------------------


async def test_availability_at_the_end_of_time_is_refused(api_garage: Garage) -> None:
    owner = api_garage.user("Olga")
    spot = api_garage.spot(owner)
    for start, end in [
        (next_hour(1).isoformat(), "9999-12-31T20:00:00-14:00"),
        ("9999-12-31T20:00:00-14:00", "9999-12-31T23:00:00-14:00"),
        (next_hour(1).isoformat(), (next_hour(1) + timedelta(days=800)).isoformat()),
        ("2001-01-01T00:00:00Z", next_hour(2).isoformat()),
    ]:
        answer = await call(
            "set-availability",
            "POST",
            json={"spot_id": str(spot), "start": start, "end": end, "available": True},
            headers=bearer(api_garage, owner),
        )
        assert answer.status_code == 422 and code_of(answer) == "invalid_window", (start, end)
    assert api_garage.windows(spot) == []
    # A year past the horizon is still a window an owner may offer.
    fine = await call(
        "set-availability",
        "POST",
        json={
            "spot_id": str(spot),
            "start": next_hour(1).isoformat(),
            "end": (next_hour(1) + timedelta(days=365)).isoformat(),
            "available": True,
        },
        headers=bearer(api_garage, owner),
    )
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize(
    "query",
    [
        {"start": "9999-12-31T12:00:00Z"},
        {"start": "9998-12-31T12:00:00Z", "end": "9999-01-01T12:00:00Z"},
        {"start": "0001-01-01T00:00:00Z"},
        {"end": "9999-12-31T23:59:59-14:00"},
        {"start": "2030-01-01T00:00:00Z", "end": "10000-01-01T00:00:00Z"},
    ],
)
async def test_a_garage_view_beyond_what_answers_express_is_refused(
    api_garage: Garage, query: dict[str, str]
) -> None:
    answer = await call(
        "list-spots", "GET", params=query, headers=bearer(api_garage, api_garage.user("Vic"))
    )
    assert answer.status_code == 422 and code_of(answer) == "invalid_window"


async def test_utilization_beyond_what_answers_express_is_refused(api_garage: Garage) -> None:
    answer = await call(
        "admin",
        "GET",
        "/utilization",
        params={"start": "9998-12-31T00:00:00Z", "end": "9999-01-02T00:00:00Z"},
        headers=bearer(api_garage, api_garage.admin_id, "admin"),
    )
    assert answer.status_code == 422 and code_of(answer) == "invalid_window"


# --- 4: 5xx on bad input -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ledger", "/audit"])
@pytest.mark.parametrize("before", ["99999999999999999999999", str(2**63), "-1", "0", "1e3"])
async def test_a_page_cursor_out_of_range_is_a_422(
    api_garage: Garage, path: str, before: str
) -> None:
    answer = await call(
        "admin",
        "GET",
        path,
        params={"before": before},
        headers=bearer(api_garage, api_garage.admin_id, "admin"),
    )
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"


async def test_the_largest_page_cursor_is_answered(api_garage: Garage) -> None:
    answer = await call(
        "admin",
        "GET",
        "/ledger",
        params={"before": str(2**63 - 1)},
        headers=bearer(api_garage, api_garage.admin_id, "admin"),
    )
    assert answer.status_code == 200 and answer.json()["entries"], answer.text


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"null", "invalid_request"),
        (b"true", "invalid_request"),
        (b"5", "invalid_request"),
        (b'"x"', "invalid_request"),
        (b"[]", "invalid_request"),
        (b'{"query": 5}', "invalid_request"),
        (b'{"query": "{ me { credits } }", "variables": []}', "invalid_request"),
        (b'{"variables": {}}', "invalid_request"),
        (b"\xff\xfe{}", "invalid_json"),
        (b'{"query": "{ me { credits } }"', "invalid_json"),
    ],
)
async def test_a_graphql_body_that_is_no_request_is_a_4xx_with_a_code(
    api_garage: Garage, body: bytes, code: str
) -> None:
    headers = bearer(api_garage, api_garage.user("Gus")) | {"content-type": "application/json"}
    answer = await call("graphql", "POST", content=body, headers=headers)
    assert 400 <= answer.status_code < 500 and code_of(answer) == code


async def test_a_subscription_over_plain_http_is_refused_with_a_code(
    api_garage: Garage, caplog: pytest.LogCaptureFixture
) -> None:
    answer = await call(
        "graphql",
        "POST",
        json={"query": "subscription { myCredits { credits } }"},
        headers=bearer(api_garage, api_garage.user("Sid")),
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["errors"][0]["extensions"]["code"] == "subscription_over_http"
    assert "Traceback" not in caplog.text


# --- 6: look-alike labels --------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "PRB\u202e1-",
        "\u202dPRB-1",
        "PRB\u2067-1",
        "PRB-1\u200f",
        "PRB\u200b-1",
        "PR\u200dB-1",
        "PRB\u2060-1",
        "\ufeffPRB-1",
        "PR\u00adB-1",
        "\u200b",
        "PRB\u2028-1",
        "\u00a0PRB-1",
    ],
)
async def test_a_label_with_invisible_or_reordering_characters_is_refused(
    api_garage: Garage, label: str
) -> None:
    owner = api_garage.user("Lara")
    answer = await call(
        "add-spot", "POST", json={"label": label}, headers=bearer(api_garage, owner)
    )
    assert answer.status_code == 422 and code_of(answer) == "invalid_request", repr(label)


async def test_labels_that_look_alike_are_one_label(api_garage: Garage) -> None:
    owner = api_garage.user("Lena")
    tag = uuid.uuid4().hex[:4].upper()
    first = await call(
        "add-spot", "POST", json={"label": f"\u00c9-{tag}"}, headers=bearer(api_garage, owner)
    )
    assert first.status_code == 201, first.text
    # Decomposed (E + combining acute), lower case, full width: the same label.
    for twin in [f"E\u0301-{tag}", f"\u00e9-{tag.lower()}", f"\uff25\u0301-{tag}"]:
        again = await call(
            "add-spot", "POST", json={"label": twin}, headers=bearer(api_garage, owner)
        )
        assert again.status_code == 409 and code_of(again) == "label_taken", repr(twin)
    # Stored composed, whatever was typed.
    decomposed = await call(
        "add-spot", "POST", json={"label": f"A\u0308-{tag}"}, headers=bearer(api_garage, owner)
    )
    assert decomposed.json()["label"] == f"\u00c4-{tag}"


async def test_a_display_name_with_bidi_controls_is_refused(api_garage: Garage) -> None:
    user = api_garage.user("Nina")
    answer = await call(
        "me",
        "PATCH",
        json={"display_name": "Nina\u202e ylno"},
        headers=bearer(api_garage, user),
    )
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"


# --- 8: metrics ------------------------------------------------------------------------------


async def test_metrics_answer_loopback_only_when_no_token_is_set() -> None:
    async with client("reserve", host="203.0.113.7") as http:
        refused = await http.get("/metrics")
    assert refused.status_code == 401 and code_of(refused) == "unauthenticated"
    async with client("reserve", host="127.0.0.1") as http:
        allowed = await http.get("/metrics")
    assert allowed.status_code == 200 and "parkshare_http_requests" in allowed.text


# --- 9: weak passwords -------------------------------------------------------------------------


async def _invite(garage: Garage) -> str:
    async with client("admin") as http:
        answer = await http.post("/invites", json={}, headers=bearer(garage, garage.admin_id))
    return str(answer.json()["invite_code"])


@pytest.mark.parametrize(
    "password",
    [
        "password123",
        "qwertyuiop",
        "1234567890",
        "Dragon2024!",
        "aaaaaaaaaaaa",
        "abababababab",
        "short",
        "{local}-rocks-2030",
    ],
)
async def test_signup_refuses_a_weak_password_with_a_reason(
    api_garage: Garage, password: str
) -> None:
    local = f"walter{uuid.uuid4().hex[:6]}"
    answer = await call(
        "auth",
        "POST",
        "/signup",
        json={
            "invite_code": await _invite(api_garage),
            "email": f"{local}@example.test",
            "password": password.replace("{local}", local),
            "display_name": "Walter",
        },
    )
    assert answer.status_code == 422 and code_of(answer) == "weak_password"
    assert answer.json()["detail"].startswith("choose another password: ")


async def test_a_password_change_to_a_weak_one_is_refused(api_garage: Garage) -> None:
    from tests.functions.conftest import PASSWORD

    user, _ = resident(api_garage)
    answer = await call(
        "auth",
        "POST",
        "/password",
        json={"current_password": PASSWORD, "new_password": "iloveyou123"},
        headers=bearer(api_garage, user),
    )
    assert answer.status_code == 422 and code_of(answer) == "weak_password"


# --- 10: the session check fails closed --------------------------------------------------------


@pytest.mark.parametrize("session", ["none", "unknown", "another user's"])
@pytest.mark.parametrize(
    ("name", "method", "path"), [("me", "GET", "/"), ("list-spots", "GET", "/")]
)
async def test_a_signed_token_without_a_live_session_is_refused(
    api_garage: Garage, session: str, name: str, method: str, path: str
) -> None:
    user = api_garage.user("Sam")
    other = api_garage.user("Oz")
    sid = {"none": None, "unknown": uuid.uuid4(), "another user's": api_garage.session(other)}
    token = issue_access_token(
        Principal(user, api_garage.building_id, "resident", session_id=sid[session])
    )
    answer = await call(name, method, path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and code_of(answer) == "invalid_token"


# --- 11: every answer is JSON ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("TRACE", "/", 405, "method_not_allowed"),
        ("CONNECT", "/", 405, "method_not_allowed"),
        ("GET", "/robots.txt", 404, "not_found"),
        ("GET", "/favicon.ico", 404, "not_found"),
        ("GET", "/nowhere", 404, "not_found"),
    ],
)
async def test_a_function_alone_answers_problem_json_for_what_it_does_not_serve(
    method: str, path: str, status: int, code: str
) -> None:
    answer = await call("me", method, path)
    assert answer.status_code == status and code_of(answer) == code
    assert answer.headers["x-content-type-options"] == "nosniff"
