"""Claiming deliveries on real concurrent connections: a delivery being sent (its claimer's
session holds its lock) is nobody else's; the moment that session ends, the next claim takes
it over, one attempt more. Claiming is the worker's, and the sweep sends too."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from psycopg.rows import DictRow

from parkshare.config import get_settings
from parkshare.notify import mail
from parkshare.problems import Problem
from parkshare.store.db import set_context
from tests.conftest import TestDb
from tests.notify.conftest import SmtpServer, deliveries
from tests.notify.test_mail_smtp import book
from tests.support import Garage

Connect = Callable[[], psycopg.Connection[DictRow]]


def claim(conn: psycopg.Connection[DictRow], limit: int = 10) -> list[DictRow]:
    with conn.transaction():
        set_context(conn, None, None)
        return conn.execute("SELECT * FROM parkshare.deliveries_claim(%s)", (limit,)).fetchall()


def test_a_delivery_being_sent_is_reclaimed_only_once_its_sender_is_gone(
    garage: Garage, app_conn: Connect
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    first, second = app_conn(), app_conn()
    taken = claim(first, 1)
    assert [(r["kind"], r["attempts"]) for r in taken] == [(taken[0]["kind"], 1)]
    # The other one is still pending: the second claimer gets it, and only it.
    others = claim(second)
    assert [r["id"] for r in others] == [
        r["id"] for r in deliveries(garage) if r["id"] != taken[0]["id"]
    ]
    # Both are sending now, each locked by its claimer: nothing left for anyone.
    assert claim(app_conn()) == []
    # Not even its own claimer's again (session advisory locks are reentrant).
    assert claim(second) == []
    first.close()
    again = claim(app_conn())
    assert [(r["id"], r["attempts"]) for r in again] == [(taken[0]["id"], 2)]
    (row,) = [r for r in deliveries(garage) if r["id"] == taken[0]["id"]]
    assert row["state"] == "sending"
    assert row["last_error"] == "its sender stopped before the server accepted it"


def test_claiming_is_system_work(garage: Garage) -> None:
    resident = garage.user("Rita")
    with pytest.raises(Problem) as refused:
        garage.call(resident, "SELECT * FROM parkshare.deliveries_claim(10)")
    assert refused.value.code == "forbidden"


async def test_the_sweep_sends_what_is_due_too(
    garage: Garage, database: TestDb, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    monkeypatch.setenv("DATABASE_URL", database.admin_url)
    monkeypatch.setenv("PARKSHARE_APP_DATABASE_URL", database.app_url)
    monkeypatch.setenv("PARKSHARE_SMTP_URL", smtp_server.url)
    get_settings.cache_clear()
    try:
        assert await mail.sweep() == {"sent": 2}
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert {r["state"] for r in deliveries(garage)} == {"sent"}
    assert len(smtp_server.sink.messages) == 2
