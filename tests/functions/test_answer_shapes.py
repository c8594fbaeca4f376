"""Every function's success answers, made with real data, are exactly the shapes the OpenAPI
document gives them (parkshare.answers): each required member there, typed and nullable as
written, and no member the document does not name. schemathesis (tests/gateway/test_fuzz.py)
checks the answers its random requests get; these are the ones that need a real building."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from parkshare import answers as shapes
from parkshare import functions, openapi
from parkshare.http import Route
from parkshare.store.db import admin_connect
from tests.functions.conftest import PASSWORD, bearer, from_address, resident
from tests.images import png
from tests.support import Garage, next_hour


def _closed(node: Any) -> Any:
    """The schemas with every object closed: a member nobody documented is an error."""
    if isinstance(node, dict):
        closed = {k: _closed(v) for k, v in node.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


def _routes() -> list[tuple[tuple[str, str, str], Route]]:
    """Every route of every function, with its (function, method, path)."""
    return [
        ((name, route.method, route.path), route)
        for name in functions.available()
        for route in functions.router(name).routes
    ]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.document()


def _schema_of(
    document: dict[str, Any], name: str, method: str, path: str, status: int
) -> dict[str, Any]:
    """The schema of the route's 2xx answered, as the document declares it."""
    url = f"/fn/{name}" + ("" if path == "/" else path)
    responses = document["paths"][url][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {url} does not declare {status}"
    success = responses[str(status)]
    schema: dict[str, Any] = success["content"]["application/json"]["schema"]
    assert "$ref" in schema, f"{method} {url} declares no response model"
    return schema


class Answers:
    """Calls of the functions, each answer checked against the document as it comes."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.components = _closed(document["components"])
        self.checked: set[tuple[str, str, str]] = set()

    async def call(
        self,
        name: str,
        method: str,
        path: str = "/",
        *,
        headers: dict[str, str],
        template: str | None = None,
        **kw: Any,
    ) -> Any:
        """`template` is the route's path where `path` fills a `{name}` segment."""
        async with from_address(name) as http:
            answer = await http.request(method, path, headers=headers, **kw)
        assert answer.status_code < 300, (name, method, path, answer.text)
        path = template or path
        schema = _schema_of(self.document, name, method, path, answer.status_code)
        validator = Draft202012Validator(
            {**schema, "components": self.components}, format_checker=FormatChecker()
        )
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(answer.json())
        ]
        assert not errors, (name, method, path, errors)
        self.checked.add((name, method, path))
        return answer.json()


@pytest.fixture
def answers(document: dict[str, Any]) -> Answers:
    return Answers(document)


async def test_every_answer_is_exactly_its_documented_shape(
    answers: Answers, api_garage: Garage
) -> None:
    admin = bearer(api_garage, api_garage.admin_id, "admin")
    owner_id, _ = resident(api_garage, "Olga")
    parker_id, parker_email = resident(api_garage, "Paul")
    owner, parker = bearer(api_garage, owner_id), bearer(api_garage, parker_id)
    start, end = next_hour(2), next_hour(3)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    none: dict[str, str] = {}

    # The garage: a spot, offered, listed, booked, one booking cancelled, the page of each.
    spot = await answers.call(
        "add-spot", "POST", headers=owner, json={"label": "B1-01", "location": "level -1"}
    )
    offer = {"spot_id": spot["id"], "available": True}
    offer |= {"start": next_hour(1).isoformat(), "end": next_hour(6).isoformat()}
    await answers.call("set-availability", "POST", headers=owner, json=offer)
    booking = {"spot_id": spot["id"], **window}
    await answers.call("reserve", "POST", headers=parker, json=booking)
    booking |= {"start": next_hour(4).isoformat(), "end": next_hour(5).isoformat()}
    second = await answers.call("reserve", "POST", headers=parker, json=booking)
    await answers.call("cancel", "POST", headers=parker, json={"reservation_id": second["id"]})
    await answers.call("list-spots", "GET", headers=parker, params=window)
    # Recurring sharing (on a spot of its own, nobody's bookings in the way): a pattern, its
    # time off, the list, its end.
    nightly = await answers.call("add-spot", "POST", headers=owner, json={"label": "B1-02"})
    share = {"spot_id": nightly["id"], "weekdays": [6, 7], "from": "22:00", "until": "06:00"}
    pattern = await answers.call("recurring", "POST", headers=owner, json=share)
    off = (start + timedelta(days=20)).date().isoformat()
    pause = {"pattern_id": pattern["id"], "start_date": off, "end_date": off}
    await answers.call("recurring", "POST", "/pause", headers=owner, json=pause)
    await answers.call("recurring", "GET", headers=owner)
    await answers.call("recurring", "GET", "/summaries", headers=parker)
    stop = {"pattern_id": pattern["id"]}
    await answers.call("recurring", "POST", "/stop", headers=owner, json=stop)
    # Notifications: the bookings and the cancellation above told both of them.
    told = await answers.call("notifications", "GET", headers=owner, params={"limit": "10"})
    assert told["notifications"] and told["unread"]
    await answers.call("notifications", "GET", headers=parker)
    await answers.call("notifications", "GET", "/preferences", headers=parker)
    choices = {"email": {"spot.booked": False}, "remind_minutes": 30, "locale": "de"}
    await answers.call("notifications", "PUT", "/preferences", headers=owner, json=choices)
    # Calendar: the parker's feed URL, then another in its place.
    await answers.call("calendar", "GET", headers=parker)
    await answers.call("calendar", "POST", "/rotate", headers=parker)
    # Requests: one waiting (nothing offered then), one booked at once, the list, a withdrawal.
    late = {"start": next_hour(30).isoformat(), "end": next_hour(31).isoformat()}
    waiting = await answers.call("request", "POST", headers=parker, json=late)
    soon = {"start": next_hour(5).isoformat(), "end": next_hour(6).isoformat()}
    await answers.call("request", "POST", headers=parker, json=soon)
    await answers.call("request", "GET", headers=parker)
    withdraw = {"request_id": waiting["id"]}
    await answers.call("request", "POST", "/withdraw", headers=parker, json=withdraw)
    await answers.call("me", "GET", headers=parker)
    await answers.call("me", "GET", headers=owner)
    await answers.call("me", "PATCH", headers=parker, json={"display_name": "Paul P."})
    await answers.call("settle", "POST", headers=admin)
    await answers.call("graphql", "POST", headers=parker, json={"query": "{ __typename }"})

    # Identity: a login, its refresh, the sessions, the signing keys; an invited sign-up.
    login = {"email": parker_email, "password": PASSWORD}
    tokens = await answers.call("auth", "POST", "/login", headers=none, json=login)
    refresh = {"refresh_token": tokens["refresh_token"]}
    fresh = await answers.call("auth", "POST", "/refresh", headers=none, json=refresh)
    signed_in = {"Authorization": f"Bearer {fresh['access_token']}"}
    await answers.call("auth", "GET", "/sessions", headers=signed_in)
    await answers.call("auth", "GET", "/jwks", headers=none)
    invite = await answers.call("admin", "POST", "/invites", headers=admin, json={})
    signup = {"invite_code": invite["invite_code"], "email": "nina@example.test"}
    signup |= {"password": "a long and unusual passphrase", "display_name": "Nina"}
    await answers.call("auth", "POST", "/signup", headers=none, json=signup)

    # The admin's views, with something in each.
    bulk = {"invites": [{"email": "a@example.test"}, {"role": "admin"}]}
    await answers.call("admin", "POST", "/invites/bulk", headers=admin, json=bulk)
    await answers.call("admin", "GET", "/residents", headers=admin)
    credits = {"user_id": str(parker_id), "amount": 5, "reason": "welcome"}
    await answers.call("admin", "POST", "/credits", headers=admin, json=credits)
    checkin_on = {"cost": 4, "checkin_grace_minutes": 30, "no_show_owner_share": 1}
    await answers.call("admin", "PATCH", "/policy", headers=admin, json=checkin_on)
    # Check-in, now that the policy has it: a booking starting ten minutes from now.
    lobby = await answers.call("add-spot", "POST", headers=owner, json={"label": "B1-03"})
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    shortly = {"start": at.isoformat(), "end": (at + timedelta(minutes=40)).isoformat()}
    offered = {"spot_id": lobby["id"], "available": True, **shortly}
    await answers.call("set-availability", "POST", headers=owner, json=offered)
    booking = {"spot_id": lobby["id"], **shortly}
    quick = await answers.call("reserve", "POST", headers=parker, json=booking)
    await answers.call("checkin", "POST", headers=parker, json={"reservation_id": quick["id"]})
    await answers.call("admin", "GET", "/ledger", headers=admin)
    await answers.call("admin", "GET", "/audit", headers=admin)
    await answers.call("admin", "GET", "/deliveries", headers=admin)
    usage = {"start": (start - timedelta(days=1)).isoformat(), "end": end.isoformat()}
    await answers.call("admin", "GET", "/utilization", headers=admin, params=usage)
    await answers.call("admin", "GET", "/sso", headers=admin)
    sso = {"issuer": "https://id.example.test", "client_id": "parkshare"}
    await answers.call("admin", "PUT", "/sso", headers=admin, json=sso)
    await answers.call("admin", "GET", "/sso", headers=admin)
    hook = {"url": "https://93.184.215.14/hook", "events": ["reservation.created"]}
    made = await answers.call("admin", "POST", "/webhooks", headers=admin, json=hook)
    await answers.call("admin", "GET", "/webhooks", headers=admin)
    # An attempt the receiver did not answer, as the worker records one: last_delivery.
    with admin_connect(api_garage.db.admin_url) as conn:
        conn.execute(
            "INSERT INTO parkshare.webhook_deliveries (building_id, webhook_id, outbox_id,"
            " event_id, event_type, attempt, status, duration_ms, outcome)"
            " VALUES (%s, %s, 1, '1-0', 'reservation.created', 1, NULL, 5, 'failed')",
            (api_garage.building_id, made["id"]),
        )
    hooks = await answers.call("admin", "GET", "/webhooks", headers=admin)
    assert hooks["webhooks"][0]["last_delivery"]["status"] is None
    # A lobby display, its board (spots booked, offered, and one without a location), the list.
    screen = await answers.call("admin", "POST", "/displays", headers=admin, json={"name": "Hall"})
    board = await answers.call(
        "board", "GET", headers={"Authorization": f"Display {screen['token']}"}
    )
    assert {s["location"] for s in board["spots"]} >= {None, "level -1"}
    await answers.call("admin", "GET", "/displays", headers=admin)
    # The garage map: a plan, a spot placed on it, the map a resident reads.
    await answers.call(
        "admin", "PUT", "/plans/B1", headers=admin, content=png(), template="/plans/{level}"
    )
    placed = {"spot_id": lobby["id"], "level": "B1", "x": 0.5, "y": 0.25}
    await answers.call("admin", "POST", "/plans/place", headers=admin, json=placed)
    await answers.call("map", "GET", headers=parker)
    disabled = {"user_id": str(owner_id)}
    await answers.call("admin", "POST", "/residents/disable", headers=admin, json=disabled)

    # Every route that answers JSON with a body was called (the SSO round trip has its own
    # tests: tests/sso), so a new route comes here with its data.
    untested = {
        key
        for key, route in _routes()
        if route.status != 204
        and not 300 <= route.status < 400
        and getattr(route.response, "media_type", "application/json") == "application/json"
    } - answers.checked
    assert untested <= {("auth", "POST", "/sso/exchange")}, untested


def test_a_closed_schema_refuses_an_undocumented_member() -> None:
    schema = _closed({"type": "object", "properties": {"id": {"type": "string"}}})
    assert not Draft202012Validator(schema).is_valid({"id": "x", "extra": 1})


def test_every_route_names_its_answer_and_the_document_has_every_shape(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    for key, route in _routes():
        url = f"/fn/{key[0]}" + ("" if route.path == "/" else route.path)
        success = document["paths"][url][route.method.lower()]["responses"][str(route.status)]
        if route.status == 204 or 300 <= route.status < 400:
            assert "content" not in success, key
            continue
        assert route.response is not None, key
        ((media_type, content),) = success["content"].items()
        assert media_type == getattr(route.response, "media_type", "application/json")
        assert content["schema"]["$ref"].removeprefix("#/components/schemas/") in schemas
    for model in shapes.models():
        assert model.__name__ in schemas, model


def test_no_shape_is_built_when_a_function_imports_them() -> None:
    # defer_build: a cold start pays for the classes, not for their validators and schemas.
    code = (
        "from parkshare import answers\n"
        "built = [m.__name__ for m in answers.models() if m.__pydantic_complete__]\n"
        "assert not built, built\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
