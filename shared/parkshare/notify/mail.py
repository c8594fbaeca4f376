"""The worker's mail sender: it claims due deliveries (sql/repeatable/deliveries.sql), renders
each in its resident's language, hands it to the transport and records the outcome. It
polls every POLL_SECONDS on a thread of its own (`run_in_thread`, started by run_worker);
the sweep sends a batch too (`sweep`), a backstop should the thread ever be stuck.

Exactly once, even when a worker dies mid-send. Each delivery is sent while this process
holds a session advisory lock keyed by it, on the connection that claimed it; the row is
`sending` meanwhile, and a `sending` row whose lock is free belongs to a dead worker, so the
next claim takes it over and sends it again. That resend is not a duplicate: under RFC 5321
an SMTP server takes responsibility for a message only when it replies 250 to the end of
DATA (§4.1.1.4: the receiver acts on the message only after a successful end of data; §6.1:
once it has sent that 250 it must deliver or report the failure). A sender gone before that
reply (killed, its connection closed) left a message nobody accepted. We mark the row `sent`
in the first statement after the 250. The one window left: killed after the 250 and before
that UPDATE commits, the message was accepted and is sent again. Both copies then carry the
same Message-ID, `<delivery-id@parkshare>`, by which a receiving system may drop the second.
The same goes for a 250 the server sent that never reached us (the connection lost, or our
timeout, in that instant: the duplicate §6.1 and RFC 1047 describe), and for SES, whose
answer plays the 250's part. (The lock is as good as the connection that holds it: one that
PostgreSQL loses while the worker lives on lets another worker take the row over, a window
of the same kind.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from parkshare.config import Settings, get_settings
from parkshare.notify import templates, transports
from parkshare.notify.transports import DeliveryError, Message, Transport
from parkshare.store import db
from parkshare.store.embedded import resolve_urls
from parkshare.store.queries import load

log = logging.getLogger("parkshare.notify.mail")
SQL = load("mail")
POLL_SECONDS = 1.0
RECONNECT_SECONDS_MAX = 5.0
# Most deliveries one round sends before it looks at the clock (and skipped ones) again.
ROUND_MAX = 100
SWEEP_MAX = 20


class Mailer:
    """Sends on one connection of its own: the advisory locks it takes live in that session."""

    def __init__(self, settings: Settings, transport: Transport | None) -> None:
        self._settings = settings
        self._transport = transport
        self._app_url = resolve_urls(settings).app_database_url
        self._conn: db.AsyncConn | None = None

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[db.AsyncConn]:
        if self._conn is None or self._conn.closed:
            self._conn = await db.connect_app(self._app_url)
        async with self._conn.transaction():
            await db.aset_context(self._conn, None, None)
            yield self._conn

    async def _one(self, name: str, params: dict[str, Any] | None = None) -> Any:
        async with self._transaction() as conn:
            row = await (await conn.execute(SQL[name], params)).fetchone()
        assert row is not None
        return next(iter(row.values()))

    async def send_due(self, limit: int = ROUND_MAX) -> Counter[str]:
        """Up to `limit` due deliveries, one at a time; what became of them. With no
        transport, what is due is skipped. A server out of reach ends the round: the next
        message would fare no better before its retry."""
        outcomes: Counter[str] = Counter()
        if self._transport is None:
            outcomes["skipped"] = await self._one("deliveries_skip")
            return outcomes
        try:
            for _ in range(limit):
                async with self._transaction() as conn:
                    row = await (
                        await conn.execute(SQL["deliveries_claim"], {"limit": 1})
                    ).fetchone()
                if row is None:
                    break
                outcome, unreachable = await self._deliver(row)
                outcomes[outcome] += 1
                if unreachable:
                    break
        finally:
            await self._transport.close()
        return outcomes

    async def _deliver(self, row: dict[str, Any]) -> tuple[str, bool]:
        assert self._transport is not None
        key = {"building_id": row["building_id"], "id": row["id"]}
        try:
            try:
                message = self.message(row)
                message.email()
            except (ValueError, KeyError, TypeError) as exc:
                # Nothing a later attempt would change (a header that cannot be written).
                raise DeliveryError(
                    f"could not write the message: {exc!r}", retryable=False
                ) from exc
            try:
                await self._transport.send(message)
            except DeliveryError:
                raise
            except Exception as exc:
                # Not a refusal we know: after the backoff, rather than at once and forever.
                raise DeliveryError(
                    f"{type(exc).__name__}: {exc}"[:2000], retryable=True, connection=True
                ) from exc
        except DeliveryError as exc:
            state = await self._one(
                "delivery_failed", key | {"error": str(exc), "retryable": exc.retryable}
            )
            log.warning(
                "delivery %s attempt %s: %s (now %s)", row["id"], row["attempts"], exc, state
            )
            await self._release(row)
            return str(state or "lost"), exc.connection
        # Accepted: recorded at once (see the module's docstring for why this is the moment).
        await self._one("delivery_sent", key)
        await self._release(row)
        log.info("delivery %s sent (%s, attempt %s)", row["id"], row["kind"], row["attempts"])
        return "sent", False

    async def _release(self, row: dict[str, Any]) -> None:
        await self._one("delivery_release", {"id": row["id"]})

    def message(self, row: dict[str, Any]) -> Message:
        rendered = templates.render(
            templates.Note(
                kind=row["kind"],
                title=row["title"],
                body=row["body"],
                data=row["data"],
                locale=row["locale"],
                building_name=row["building_name"],
                timezone=row["timezone"],
            ),
            self._settings.app_url,
        )
        return Message(
            delivery_id=str(row["id"]),
            to=row["address"],
            sender=self._settings.mail_from,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                # Closing ends the session, and with it any lock a failure left held.
                await conn.close()
        if self._transport is not None:
            await self._transport.close()

    async def run(self) -> None:
        """Send what is due every POLL_SECONDS until cancelled; a database or transport
        failure waits a little and starts on a fresh connection."""
        delay = POLL_SECONDS
        try:
            while True:
                try:
                    outcomes = await self.send_due()
                    delay = POLL_SECONDS
                    if outcomes.total() >= ROUND_MAX:
                        continue
                except psycopg.Error as exc:
                    log.warning("mail waits: database error (%r); again in %.1fs", exc, delay)
                    await self.close()
                    delay = min(delay * 2, RECONNECT_SECONDS_MAX)
                except Exception:
                    # Whatever it was, the sender keeps going: mail is not worth the worker.
                    log.exception("mail round failed; again in %.1fs", delay)
                    await self.close()
                    delay = min(delay * 2, RECONNECT_SECONDS_MAX)
                await asyncio.sleep(delay)
        finally:
            await self.close()


def mailer(settings: Settings | None = None) -> Mailer:
    settings = settings or get_settings()
    return Mailer(settings, transports.from_settings(settings))


async def sweep() -> dict[str, int]:
    """A few due deliveries from the sweep, on a connection of its own. Whatever goes wrong
    here is logged, not raised: the rest of the sweep (the timer above all) must not wait
    for mail."""
    sender = mailer()
    try:
        return dict(await sender.send_due(SWEEP_MAX))
    except Exception:
        log.exception("the sweep could not send mail; the sender thread will")
        return {}
    finally:
        await sender.close()


def run_in_thread() -> tuple[threading.Thread, Any]:
    """The sender on a thread of its own with its own event loop (the worker's main thread
    belongs to RQ); answers (thread, stop) where stop() ends it."""
    loop = asyncio.new_event_loop()
    sender = mailer()
    log.info(transports.describe(get_settings()))
    task: asyncio.Task[None] | None = None

    def main() -> None:
        nonlocal task
        asyncio.set_event_loop(loop)
        task = loop.create_task(sender.run())
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(task)
        loop.close()

    def stop() -> None:
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    thread = threading.Thread(target=main, name="mail", daemon=True)
    thread.start()
    return thread, stop
