"""The admin's webhook routes over HTTP: registering one (the secret answered once, stored
sealed), listing them without secrets, removing one; and every URL that must be refused,
whether by its shape (the database) or by where its host points (parkshare.notify.addresses)."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from parkshare.config import get_settings
from parkshare.notify.addresses import IPAddress, refusal
from parkshare.notify.webhook_registry import open_secret
from tests.conftest import TestDb
from tests.functions.conftest import bearer, code_of, from_address
from tests.support import Garage

# A public address as a literal: accepted without asking any DNS server.
PUBLIC_URL = "https://93.184.215.14/hooks/parkshare?token=abc"
EVENTS = ["reservation.created", "reservation.cancelled"]


@pytest.fixture
def loopback_allowed() -> Iterator[None]:
    with _loopback(True):
        yield


class _loopback:
    def __init__(self, allowed: bool) -> None:
        self.allowed = allowed
        self.saved: str | None = None

    def __enter__(self) -> None:
        self.saved = os.environ.get("PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK")
        os.environ["PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK"] = "true" if self.allowed else "false"
        get_settings.cache_clear()

    def __exit__(self, *exc: object) -> None:
        if self.saved is None:
            os.environ.pop("PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK", None)
        else:
            os.environ["PARKSHARE_WEBHOOKS_ALLOW_LOOPBACK"] = self.saved
        get_settings.cache_clear()


def as_admin(garage: Garage) -> dict[str, str]:
    return bearer(garage, garage.admin_id, "admin")


async def call(method: str, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
    async with from_address("admin") as http:
        return await http.request(method, path, json=body, headers=headers)


async def register(
    garage: Garage, url: str = PUBLIC_URL, events: list[str] | None = None
) -> httpx.Response:
    body = {"url": url, "events": EVENTS if events is None else events}
    return await call("POST", "/webhooks", as_admin(garage), body)


async def test_a_webhook_is_registered_with_its_secret_shown_once(
    api_garage: Garage, api_database: TestDb
) -> None:
    answer = await register(api_garage)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert set(made) == {"id", "url", "events", "secret"}
    assert made["url"] == PUBLIC_URL and made["events"] == EVENTS
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40

    listed = await call("GET", "/webhooks", as_admin(api_garage))
    assert listed.status_code == 200, listed.text
    assert listed.json() == {
        "webhooks": [{"id": made["id"], "url": PUBLIC_URL, "events": EVENTS, "last_delivery": None}]
    }
    assert made["secret"] not in listed.text

    # Stored sealed to the building: the row does not hold the secret, the key opens it.
    with psycopg.connect(api_database.admin_url) as conn:
        row = conn.execute(
            "SELECT secret FROM parkshare.webhooks WHERE id = %s", (made["id"],)
        ).fetchone()
    assert row is not None
    assert made["secret"].encode() not in bytes(row[0])
    assert open_secret(bytes(row[0]), api_garage.building_id) == made["secret"]


async def test_each_registration_gets_its_own_secret(api_garage: Garage) -> None:
    first, second = (await register(api_garage)).json(), (await register(api_garage)).json()
    assert first["secret"] != second["secret"] and first["id"] != second["id"]
    listed = (await call("GET", "/webhooks", as_admin(api_garage))).json()["webhooks"]
    assert [w["id"] for w in listed] == [first["id"], second["id"]]


async def test_repeated_event_types_are_kept_once(api_garage: Garage) -> None:
    answer = await register(api_garage, events=["spot.updated", "spot.updated"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["events"] == ["spot.updated"]


async def test_a_resident_may_not_register_list_or_remove(api_garage: Garage) -> None:
    rita = bearer(api_garage, api_garage.user("Rita"))
    made = (await register(api_garage)).json()
    body = {"url": PUBLIC_URL, "events": EVENTS}
    assert code_of(await call("POST", "/webhooks", rita, body)) == "forbidden"
    # Refused as a resident before anything about the URL is looked at.
    body = {"url": "https://10.0.0.1/", "events": ["nonsense"]}
    assert code_of(await call("POST", "/webhooks", rita, body)) == "forbidden"
    assert code_of(await call("GET", "/webhooks", rita)) == "forbidden"
    gone = {"webhook_id": made["id"]}
    assert code_of(await call("POST", "/webhooks/delete", rita, gone)) == "forbidden"
    assert len((await call("GET", "/webhooks", as_admin(api_garage))).json()["webhooks"]) == 1


REFUSED_WITHOUT_LOOPBACK = [
    "http://example.com/hook",
    "ftp://example.com/hook",
    "not a url",
    "https://",
    "https://user:pass@example.com/hook",
    "https://example.com/hook#part",
    "https://example.com:99999/hook",
    "https://10.0.0.1/hook",
    "https://192.168.1.1/hook",
    "https://172.16.5.4/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://0.1.2.3/hook",
    "https://224.0.0.1/hook",
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "https://[ff02::1]/hook",
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    # Other spellings of 127.0.0.1, which the resolver reads as that address.
    "https://0x7f000001/hook",
    "https://2130706433/hook",
    "https://127.1/hook",
    "https://no-such-host.invalid/hook",
    "http://localhost:8080/hook",
    "http://127.0.0.1:8080/hook",
]


@pytest.mark.parametrize("url", REFUSED_WITHOUT_LOOPBACK)
async def test_a_url_that_is_not_public_https_is_refused(api_garage: Garage, url: str) -> None:
    with _loopback(False):
        answer = await register(api_garage, url)
    assert answer.status_code == 422, answer.text
    assert code_of(answer) == "invalid_webhook"
    # Nothing was kept of it (the address check ran in the insert's transaction).
    listed = (await call("GET", "/webhooks", as_admin(api_garage))).json()
    assert listed == {"webhooks": []}


@pytest.mark.parametrize(
    "events",
    [
        [],
        ["reservation.created", "reservation.exploded"],
        ["credits.changed"],
        ["notification.created"],
        ["*"],
    ],
)
async def test_an_unknown_or_missing_event_type_is_refused(
    api_garage: Garage, events: list[str]
) -> None:
    answer = await register(api_garage, events=events)
    assert answer.status_code == 422, answer.text
    assert code_of(answer) == "invalid_webhook"


@pytest.mark.parametrize(
    "body",
    [
        {"url": PUBLIC_URL},
        {"events": EVENTS},
        {"url": PUBLIC_URL, "events": "spot.updated"},
        {"url": PUBLIC_URL, "events": EVENTS, "secret": "mine"},
        {"url": 5, "events": EVENTS},
    ],
)
async def test_a_body_of_the_wrong_shape_is_an_invalid_request(
    api_garage: Garage, body: dict[str, Any]
) -> None:
    answer = await call("POST", "/webhooks", as_admin(api_garage), body)
    assert answer.status_code == 422 and code_of(answer) == "invalid_request"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost:9/hook",
        "http://[::1]:9/",
        "https://127.0.0.1/hook",
    ],
)
async def test_loopback_is_accepted_when_the_deployment_allows_it(
    api_garage: Garage, loopback_allowed: None, url: str
) -> None:
    answer = await register(api_garage, url)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://10.0.0.1/",
        "https://[::ffff:192.168.0.1]/",
        "https://169.254.169.254/",
        "http://10.0.0.1/",
    ],
)
async def test_loopback_allowed_still_refuses_private_addresses(
    api_garage: Garage, loopback_allowed: None, url: str
) -> None:
    assert code_of(await register(api_garage, url)) == "invalid_webhook"


async def test_removing_a_webhook_and_a_second_time_not_found(
    api_garage: Garage, api_database: TestDb
) -> None:
    made = (await register(api_garage)).json()
    gone = {"webhook_id": made["id"]}
    answer = await call("POST", "/webhooks/delete", as_admin(api_garage), gone)
    assert answer.status_code == 204, answer.text
    assert (await call("GET", "/webhooks", as_admin(api_garage))).json() == {"webhooks": []}
    again = await call("POST", "/webhooks/delete", as_admin(api_garage), gone)
    assert again.status_code == 404 and code_of(again) == "webhook_not_found"
    with psycopg.connect(api_database.admin_url) as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "SELECT action FROM parkshare.audit_log WHERE building_id = %s"
                " AND subject_id = %s ORDER BY id",
                (api_garage.building_id, made["id"]),
            )
        ]
    assert actions == ["admin.webhook_created", "admin.webhook_deleted"]


async def test_another_buildings_webhook_is_not_found(
    api_garage: Garage, api_database: TestDb
) -> None:
    other = Garage.create(api_database)
    try:
        theirs = (await register(other)).json()
        gone = {"webhook_id": theirs["id"]}
        answer = await call("POST", "/webhooks/delete", as_admin(api_garage), gone)
        assert code_of(answer) == "webhook_not_found"
        assert (await call("GET", "/webhooks", as_admin(api_garage))).json() == {"webhooks": []}
        assert len((await call("GET", "/webhooks", as_admin(other))).json()["webhooks"]) == 1
    finally:
        other.close()


def test_the_table_refuses_a_url_of_the_wrong_shape(
    api_garage: Garage, api_database: TestDb
) -> None:
    # The rule holds for whoever writes the row, not only through the procedure.
    with (
        psycopg.connect(api_database.admin_url) as conn,
        pytest.raises(psycopg.errors.CheckViolation) as caught,
    ):
        conn.execute(
            "INSERT INTO parkshare.webhooks (building_id, url, events, secret)"
            " VALUES (%s, 'http://10.0.0.1/', '{spot.updated}', %s)",
            (api_garage.building_id, b"x" * 40),
        )
    assert caught.value.diag.constraint_name == "webhooks_url_valid"


@pytest.mark.parametrize(
    ("address", "loopback", "allowed"),
    [
        ("93.184.215.14", False, True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", False, True),
        ("::ffff:93.184.215.14", False, True),
        ("127.0.0.1", False, False),
        ("127.0.0.1", True, True),
        ("::1", True, True),
        ("::ffff:127.0.0.1", False, False),
        ("10.1.2.3", True, False),
        ("172.31.255.255", True, False),
        ("192.168.1.1", True, False),
        ("169.254.169.254", True, False),
        ("100.64.0.1", True, False),
        ("100.127.255.255", True, False),
        ("0.0.0.0", True, False),
        ("0.255.255.255", True, False),
        ("224.0.0.251", True, False),
        ("255.255.255.255", True, False),
        ("::", True, False),
        ("fe80::1", True, False),
        ("fc00::1", True, False),
        ("fd12:3456::1", True, False),
        ("ff02::1", True, False),
        ("::ffff:10.0.0.1", True, False),
        ("::ffff:169.254.169.254", True, False),
        ("2002:a00:1::", True, False),  # 6to4 of 10.0.0.1
        ("64:ff9b::a00:1", True, False),  # NAT64 of 10.0.0.1
        ("198.18.0.1", True, False),  # benchmarking
        ("192.0.2.1", True, False),  # documentation
    ],
)
def test_address_rules(address: str, loopback: bool, allowed: bool) -> None:
    ip: IPAddress = ipaddress.ip_address(address)
    why = refusal(ip, allow_loopback=loopback)
    assert (why is None) is allowed, why
    if why is not None:
        assert json.dumps(why)  # a sentence for the log and the problem's detail
