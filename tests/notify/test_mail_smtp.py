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
from tests.gateway.conftest import free_port
from tests.notify.conftest import SmtpServer, address_of, deliveries
from tests.support import Garage, next_hour

APP_URL = "https://parking.example.org"
PARIS = ZoneInfo("Europe/Paris")


SENDER = "Parkshare <noreply@parking.example.org>"


def mailer(database: TestDb, smtp: SmtpServer | None, sender: str = SENDER) -> Mailer:
    settings = Settings(
        database_url=database.admin_url,
        app_database_url=database.app_url,
        smtp_url=smtp.url if smtp else None,
        public_url=APP_URL,
        mail_from=sender,
        mail_timeout_seconds=10,
    )
    return Mailer(settings, transports.from_settings(settings))


async def send_all(
    database: TestDb, smtp: SmtpServer | None, sender: str = SENDER
) -> dict[str, int]:
    mail = mailer(database, smtp, sender)
    try:
        return dict(await mail.send_due())
    finally:
        await mail.close()


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
    french_month = [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ]
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


def due_now(garage: Garage) -> None:
    """Let the backoff pass: every pending delivery of the building is due (the superuser
    with triggers off, as Garage.travel moves time)."""
    with admin_connect(garage.db.admin_url) as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute(
            "UPDATE parkshare.deliveries SET next_attempt_at = now()"
            " WHERE building_id = %s AND state = 'pending'",
            (garage.building_id,),
        )


async def test_a_kind_turned_off_writes_no_delivery(garage: Garage) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    garage.call(
        owner,
        "SELECT parkshare.set_notification_preferences(%s, NULL, NULL)",
        ('{"spot.booked": false}',),
    )
    book(garage, owner, parker)
    assert [(r["kind"], r["user_id"]) for r in deliveries(garage)] == [
        ("booking.confirmed", parker)
    ]
    # The in-app notification is written regardless.
    notes = garage.call(owner, "SELECT parkshare.my_notifications(NULL, NULL) AS n")
    assert [n["kind"] for n in notes[0]["n"]["notifications"]] == ["spot.booked"]


async def test_the_end_reminder_is_off_by_default(garage: Garage) -> None:
    parker = garage.user("Bruno")
    garage.call(
        parker,
        "SELECT parkshare.set_notification_preferences(%s, NULL, NULL)",
        ('{"booking.confirmed": false}',),
    )
    owner = garage.user("Anne")
    booking = book(garage, owner, parker)
    with admin_connect(garage.db.admin_url) as admin:
        # What the reminder does ten minutes before the end.
        admin.execute(
            "SELECT parkshare.ps_notify_booking(r, r.user_id, 'booking.ends_soon')"
            " FROM parkshare.reservations r WHERE r.id = %s",
            (booking["id"],),
        )
    notes = garage.call(parker, "SELECT parkshare.my_notifications(NULL, NULL) AS n")
    assert "booking.ends_soon" in [n["kind"] for n in notes[0]["n"]["notifications"]]
    assert [r["kind"] for r in deliveries(garage) if r["user_id"] == parker] == []


async def test_a_user_without_an_address_gets_no_delivery(garage: Garage) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    with admin_connect(garage.db.admin_url) as admin:
        # A resident of single sign-on: no password, no address of ours.
        admin.execute("UPDATE parkshare.users SET email = NULL WHERE id = %s", (owner,))
    book(garage, owner, parker)
    assert [(r["kind"], r["user_id"]) for r in deliveries(garage)] == [
        ("booking.confirmed", parker)
    ]


async def test_a_refusal_for_now_is_retried_and_sent_once(
    garage: Garage, database: TestDb, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    garage.call(
        owner,
        "SELECT parkshare.set_notification_preferences(%s, NULL, NULL)",
        ('{"spot.booked": false}',),
    )
    book(garage, owner, parker)
    sink = smtp_server.sink
    sink.refusals = 1
    assert await send_all(database, smtp_server) == {"pending": 1}
    (row,) = deliveries(garage)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert "451" in row["last_error"]
    # 30 s of backoff: not due before then.
    assert row["next_attempt_at"] - row["created_at"] >= timedelta(seconds=29)
    assert await send_all(database, smtp_server) == {}
    due_now(garage)
    assert await send_all(database, smtp_server) == {"sent": 1}
    (row,) = deliveries(garage)
    assert (row["state"], row["attempts"]) == ("sent", 2)
    assert sink.refused == 1
    assert len(sink.to(address_of(garage, parker))) == 1


async def test_a_refusal_for_good_fails_at_once(
    garage: Garage, database: TestDb, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    smtp_server.sink.refusals, smtp_server.sink.refusal = 2, "554 5.7.1 not wanted here"
    assert await send_all(database, smtp_server) == {"failed": 2}
    assert {(r["state"], r["attempts"]) for r in deliveries(garage)} == {("failed", 1)}
    due_now(garage)
    assert await send_all(database, smtp_server) == {}
    assert smtp_server.sink.messages == []


async def test_an_unreachable_server_is_retried_later(
    garage: Garage, database: TestDb, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    nobody = SmtpServer(smtp_server.sink, free_port())
    # The round stops at the first: the second would fare no better.
    assert await send_all(database, nobody) == {"pending": 1}
    assert sorted((r["state"], r["attempts"]) for r in deliveries(garage)) == [
        ("pending", 0),
        ("pending", 1),
    ]
    due_now(garage)
    assert await send_all(database, smtp_server) == {"sent": 2}


async def test_without_a_transport_deliveries_are_skipped(garage: Garage, database: TestDb) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    assert await send_all(database, None) == {"skipped": 2}
    rows = deliveries(garage)
    assert {(r["state"], r["attempts"], r["last_error"]) for r in rows} == {
        ("skipped", 0, "no mail transport configured")
    }


async def test_a_delivery_past_its_24_hours_is_given_up(
    garage: Garage, database: TestDb, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    with admin_connect(garage.db.admin_url) as admin, admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute(
            "UPDATE parkshare.deliveries SET created_at = now() - interval '25 hours'"
            " WHERE building_id = %s",
            (garage.building_id,),
        )
    assert await send_all(database, smtp_server) == {}
    assert {(r["state"], r["last_error"]) for r in deliveries(garage)} == {
        ("failed", "not sent within 24 hours")
    }
    assert smtp_server.sink.messages == []


@pytest.mark.parametrize(
    ("change", "allowed"),
    [
        ("state = 'sending', attempts = attempts + 1", True),
        ("state = 'skipped'", True),
        ("state = 'sent', sent_at = now()", False),
        ("state = 'sending'", False),
        ("attempts = attempts + 1", False),
        ("address = 'someone@else.example'", False),
    ],
)
async def test_the_state_machine_refuses_illegal_moves_from_pending(
    garage: Garage, change: str, allowed: bool
) -> None:
    import psycopg
    from psycopg import sql

    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    statement = sql.SQL("UPDATE parkshare.deliveries SET {} WHERE building_id = %s").format(
        sql.SQL(change)
    )
    with admin_connect(garage.db.admin_url) as admin:
        if allowed:
            admin.execute(statement, (garage.building_id,))
        else:
            with pytest.raises(psycopg.Error) as refused:
                admin.execute(statement, (garage.building_id,))
            assert refused.value.sqlstate == "PSC09"


@pytest.mark.parametrize("final", ["sent", "failed", "skipped"])
async def test_a_finished_delivery_never_moves_again(
    garage: Garage, database: TestDb, smtp_server: SmtpServer, final: str
) -> None:
    import psycopg
    from psycopg import sql

    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    if final == "sent":
        await send_all(database, smtp_server)
    elif final == "failed":
        smtp_server.sink.refusals, smtp_server.sink.refusal = 2, "550 no"
        await send_all(database, smtp_server)
    else:
        await send_all(database, None)
    assert {r["state"] for r in deliveries(garage)} == {final}
    for change in ("state = 'pending', sent_at = NULL", "state = 'sending', attempts = 9"):
        with admin_connect(garage.db.admin_url) as admin, pytest.raises(psycopg.Error) as no:
            admin.execute(
                sql.SQL("UPDATE parkshare.deliveries SET {} WHERE building_id = %s").format(
                    sql.SQL(change)
                ),
                (garage.building_id,),
            )
        assert no.value.sqlstate == "PSC09"


async def test_a_message_that_cannot_be_written_fails_without_reaching_the_server(
    garage: Garage, database: TestDb, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    # A header broken over two lines would smuggle in another header: refused for good.
    assert await send_all(database, smtp_server, "x@example.org\r\nBcc: y@example.org") == {
        "failed": 2
    }
    assert all("could not write the message" in r["last_error"] for r in deliveries(garage))
    assert smtp_server.sink.messages == []
