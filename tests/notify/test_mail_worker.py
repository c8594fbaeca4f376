"""Exactly once through the real worker: `parkshare worker` killed (SIGKILL) while the SMTP
server holds its message at the end of DATA, before the 250; the server counts a message
only if its client is still there to hear the 250. A new worker takes over the orphan and
sends it: one message per delivery in the end, every delivery sent."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

from tests.conftest import TestDb
from tests.gateway.conftest import server_env
from tests.live.conftest import RedisServer
from tests.live.test_faults import wait_for, working
from tests.notify.conftest import SmtpServer, deliveries
from tests.notify.test_mail_smtp import book
from tests.support import Garage


def test_a_worker_killed_mid_send_leaves_every_message_sent_exactly_once(
    garage: Garage, database: TestDb, own_redis: RedisServer, smtp_server: SmtpServer
) -> None:
    owner, parker = garage.user("Anne"), garage.user("Bruno")
    book(garage, owner, parker)
    sink = smtp_server.sink
    env = server_env(database, own_redis.url) | {"PARKSHARE_SMTP_URL": smtp_server.url}
    sink.stall.set()
    with working(env, sweep_seconds="3600") as worker:
        assert sink.in_data.wait(60), "no message reached the end of DATA"
        sending = wait_for(
            lambda: [r["id"] for r in deliveries(garage) if r["state"] == "sending"],
            what="a delivery marked sending",
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    # The server notices its client gone (aiosmtpd cancels the handler); nothing counted.
    wait_for(lambda: sink.abandoned >= 1, what="the server to see the client gone")
    sink.stall.clear()
    time.sleep(0.5)
    assert sink.messages == []
    orphans = {r["id"]: r for r in deliveries(garage) if r["state"] == "sending"}
    assert set(sending) <= set(orphans)
    assert {r["attempts"] for r in orphans.values()} == {1}

    with working(env, sweep_seconds="3600"):
        wait_for(
            lambda: {r["state"] for r in deliveries(garage)} == {"sent"},
            what="every delivery sent",
        )
        # However long it runs on, nothing goes out twice.
        time.sleep(2.0)
    rows = deliveries(garage)
    sent = Counter(m["Message-ID"] for m in sink.messages)
    assert sent == Counter({f"<{r['id']}@parkshare>": 1 for r in rows})
    for row in rows:
        # The orphan took a second attempt (its first never reached a 250); the others one.
        assert row["attempts"] == (2 if row["id"] in orphans else 1), row
