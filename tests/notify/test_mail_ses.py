"""Email through Amazon SES v2, against moto's SES in server mode (a real HTTP endpoint that
boto3 reaches through AWS_ENDPOINT_URL): what SES was handed is read back through moto's
API; a sender SES has not verified is refused for good."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from parkshare.config import Settings
from parkshare.notify import transports
from parkshare.notify.mail import Mailer
from tests.conftest import TestDb
from tests.gateway.conftest import free_port
from tests.notify.conftest import address_of, deliveries
from tests.notify.test_mail_smtp import APP_URL, book, set_locale
from tests.support import Garage

REGION = "eu-central-1"
SENDER = "noreply@parking.example.org"


@pytest.fixture
def ses_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    # moto's backends live in this process, beyond one server: start from nothing.
    httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    # boto3 reads these itself, as it would a deployment's.
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    try:
        yield endpoint
    finally:
        server.stop()


def verify(identity: str) -> None:
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=identity)


def sent_through(endpoint: str) -> list[dict[str, Any]]:
    data = httpx.get(f"{endpoint}/moto-api/data.json", timeout=10).json()
    return list(data.get("ses", {}).get("RawMessage", []))


async def send_all(database: TestDb) -> dict[str, int]:
    settings = Settings(
        database_url=database.admin_url,
        app_database_url=database.app_url,
        ses_region=REGION,
        public_url=APP_URL,
        mail_from=f"Parkshare <{SENDER}>",
        mail_timeout_seconds=10,
    )
    transport = transports.from_settings(settings)
    assert transport is not None and transport.name == "ses"
    sender = Mailer(settings, transport)
    try:
        return dict(await sender.send_due())
    finally:
        await sender.close()


async def test_a_booking_is_mailed_through_ses(
    garage: Garage, database: TestDb, ses_endpoint: str
) -> None:
    verify("parking.example.org")
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    set_locale(garage, parker, "de")
    book(garage, owner, parker)

    assert await send_all(database) == {"sent": 2}

    handed = sent_through(ses_endpoint)
    assert sorted(m["destinations"][0] for m in handed) == sorted(
        [address_of(garage, owner), address_of(garage, parker)]
    )
    parsed = {m["destinations"][0]: as_email(m["raw_data"]) for m in handed}
    to_parker = parsed[address_of(garage, parker)]
    assert to_parker["Subject"] == "Test Building: Buchung bestätigt: Stellplatz B7"
    plain = to_parker.get_body(("plain",))
    assert plain is not None
    assert f"Ändern, was Sie erhalten: {APP_URL}/#/account" in plain.get_content()
    rows = {f"<{r['id']}@parkshare>": r for r in deliveries(garage)}
    assert {m["Message-ID"] for m in parsed.values()} == set(rows)
    assert {(r["state"], r["attempts"]) for r in rows.values()} == {("sent", 1)}


async def test_a_sender_ses_refuses_fails_for_good(
    garage: Garage, database: TestDb, ses_endpoint: str
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    # Nothing verified: SES answers MessageRejected, which no retry changes.
    assert await send_all(database) == {"failed": 2}
    rows = deliveries(garage)
    assert {r["state"] for r in rows} == {"failed"}
    assert all("MessageRejected" in r["last_error"] for r in rows)
    assert sent_through(ses_endpoint) == []


def as_email(raw: str) -> EmailMessage:
    parsed = message_from_string(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
