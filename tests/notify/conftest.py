"""Mail tests: a real SMTP server (aiosmtpd) on 127.0.0.1 that the test starts, and what it
received, parsed."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import TestDb
from tests.gateway.conftest import free_port
from tests.support import Garage


@dataclass
class Sink:
    """The server's handler. `refusals`: how many messages to answer `refusal` (a 451) at
    the end of DATA first. `stall`: while set, the end of DATA waits (`in_data` tells the
    test one does); a message counts only if its client is still connected when the 250
    would go out."""

    refusals: int = 0
    refusal: str = "451 4.3.0 try again later"
    stall: threading.Event = field(default_factory=threading.Event)
    in_data: threading.Event = field(default_factory=threading.Event)
    messages: list[EmailMessage] = field(default_factory=list)
    abandoned: int = 0
    refused: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refusals > 0:
            self.refusals -= 1
            self.refused += 1
            return self.refusal
        self.in_data.set()
        try:
            deadline = time.monotonic() + 60
            while self.stall.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            # aiosmtpd cancels the handler when the client goes away.
            self.abandoned += 1
            raise
        if server.transport is None or server.transport.is_closing():
            self.abandoned += 1
            return "421 4.4.2 the client went away"
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 2.0.0 accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} messages"
            time.sleep(0.05)
        return self.messages


@dataclass
class SmtpServer:
    sink: Sink
    port: int

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(sink, port)
    finally:
        sink.stall.clear()
        controller.stop()


@pytest.fixture
def garage(database: TestDb) -> Iterator[Garage]:
    built = Garage.create(database, timezone="Europe/Paris")
    yield built
    built.close()


def deliveries(garage: Garage) -> list[dict[str, Any]]:
    """The building's deliveries with their notification's user and kind (the superuser
    reads them: the app role cannot)."""
    from parkshare.store.db import admin_connect

    with admin_connect(garage.db.admin_url) as admin:
        return admin.execute(
            "SELECT d.*, n.user_id, n.kind FROM parkshare.deliveries d"
            " JOIN parkshare.notifications n"
            " ON n.building_id = d.building_id AND n.id = d.notification_id"
            " WHERE d.building_id = %s ORDER BY d.created_at, n.id",
            (garage.building_id,),
        ).fetchall()


def address_of(garage: Garage, user: Any) -> str:
    from parkshare.store.db import admin_connect

    with admin_connect(garage.db.admin_url) as admin:
        row = admin.execute("SELECT email FROM parkshare.users WHERE id = %s", (user,)).fetchone()
    assert row is not None
    return str(row["email"])


# A Redis of the test's own for the worker's queue (tests/live/conftest.py).
from tests.live.conftest import own_redis  # noqa: E402, F401
