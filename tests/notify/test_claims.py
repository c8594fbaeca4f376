"""Claiming deliveries on real concurrent connections: a delivery being sent (its claimer's
session holds its lock) is nobody else's; the moment that session ends, the next claim takes
it over, one attempt more."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
from psycopg.rows import DictRow

from parkshare.store.db import set_context
from tests.notify.conftest import deliveries
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
