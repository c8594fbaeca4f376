"""Email through a real SMTP server: what a booking sends to whom, in their language, with
the building's name, its local time and the footer link; choices and missing addresses;
a server that refuses at first; no transport at all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from parkshare.config import Settings
from parkshare.notify import transports
from parkshare.notify.mail import Mailer
from parkshare.store.db import admin_connect
from tests.conftest import TestDb
from tests.notify.conftest import SmtpServer, address_of, deliveries
from tests.support import Garage, next_hour

APP_URL = "https://parking.example.org"
PARIS = ZoneInfo("Europe/Paris")


def mailer(database: TestDb, smtp: SmtpServer | None) -> Mailer:
    settings = Settings(
        database_url=database.admin_url,
        app_database_url=database.app_url,
        smtp_url=smtp.url if smtp else None,
        public_url=APP_URL,
        mail_from="Parkshare <noreply@parking.example.org>",
        mail_timeout_seconds=10,
    )
    return Mailer(settings, transports.from_settings(settings))


async def send_all(database: TestDb, smtp: SmtpServer | None) -> dict[str, int]:
    sender = mailer(database, smtp)
    try:
        return dict(await sender.send_due())
    finally:
        await sender.close()


def book(garage: Garage, owner: UUID, parker: UUID, hours_ahead: int = 48) -> dict[str, Any]:
    spot = garage.spot(owner, "B7")
    # A morning in Paris: the window never crosses a local midnight, whenever the test runs.
    start = next_hour(hours_ahead).replace(hour=8)
    garage.offer(owner, spot, start, start + timedelta(hours=4))
    return dict(garage.reserve(parker, spot, start, start + timedelta(hours=2)))


def set_locale(garage: Garage, user: UUID, locale: str) -> None:
    garage.call(user, "SELECT parkshare.set_notification_preferences(NULL, NULL, %s)", (locale,))


def text_of(message: Any) -> tuple[str, str]:
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return plain, html


async def test_a_booking_mails_the_owner_in_french_and_the_parker_in_english(
    garage: Garage, database: TestDb, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    set_locale(garage, owner, "fr")
    booking = book(garage, owner, parker)
    rows = deliveries(garage)
    assert {(r["kind"], r["user_id"], r["state"]) for r in rows} == {
        ("spot.booked", owner, "pending"),
        ("booking.confirmed", parker, "pending"),
    }

    assert await send_all(database, smtp_server) == {"sent": 2}

    sink = smtp_server.sink
    (to_owner,) = sink.to(address_of(garage, owner))
    (to_parker,) = sink.to(address_of(garage, parker))
    start = booking["period"].lower.astimezone(PARIS)
    end = booking["period"].upper.astimezone(PARIS)
    hours = f"{start:%H:%M}\u2013{end:%H:%M}"
    assert to_owner["Subject"] == "Test Building: Votre place B7 a été réservée"
    assert to_parker["Subject"] == "Test Building: Booking confirmed: spot B7"
    plain, html = text_of(to_owner)
    french_day = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")[start.weekday()]
    french_month = "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()
    when = f"{french_day} {start.day} {french_month[start.month - 1]} {start.year}, {hours}"
    assert f"Votre place B7 a été réservée pour {when}." in plain
    assert "Test Building" in plain and "Test Building" in html
    assert f"Modifier ce que vous recevez: {APP_URL}/#/account" in plain
    assert f'<a href="{APP_URL}/#/account">Modifier ce que vous recevez</a>' in html
    assert f"{when}." in html
    plain, html = text_of(to_parker)
    when = f"{start:%a} {start.day} {start:%b} {start.year}, {hours}"
    assert f"Your booking of spot B7 is confirmed: {when}." in plain
    assert f"Change what you receive: {APP_URL}/#/account" in plain

    by_id = {str(r["id"]): r for r in deliveries(garage)}
    for message in (to_owner, to_parker):
        delivery = message["Message-ID"].strip("<>").removesuffix("@parkshare")
        assert by_id[delivery]["state"] == "sent"
        assert by_id[delivery]["attempts"] == 1
        assert message["From"] == "Parkshare <noreply@parking.example.org>"
    # Nothing is due any more: a second round sends nothing again.
    assert await send_all(database, smtp_server) == {}
    assert len(sink.messages) == 2
