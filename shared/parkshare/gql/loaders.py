"""Batched reads: each loader turns the keys one query names into one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from parkshare.store.db import AsyncConn
from parkshare.store.queries import load
from parkshare.windows import DEFAULT_SPAN

SQL = load("graphql")
T = TypeVar("T")


class Caller(Protocol):
    """What the loaders need of a request's context: its queries, as the one who asks (the
    context is that; named here so the loaders do not import it back)."""

    async def rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]: ...

    async def run(self, work: Callable[[AsyncConn], Awaitable[T]]) -> T: ...


class Loaders:
    def __init__(self, context: Caller) -> None:
        self._context = context
        self.users = DataLoader[UUID, dict[str, Any] | None](load_fn=self._users)
        self.spots = DataLoader[UUID, dict[str, Any] | None](load_fn=self._spots)
        self.recurring = DataLoader[UUID, str | None](load_fn=self._recurring)

    async def _users(self, ids: Sequence[UUID]) -> list[dict[str, Any] | None]:
        rows = await self._context.rows(SQL["users_by_id"], {"ids": list(ids)})
        found = {row["id"]: row for row in rows}
        return [found.get(i) for i in ids]

    async def _recurring(self, ids: Sequence[UUID]) -> list[str | None]:
        rows = await self._context.rows(SQL["recurring_by_spot"], {"ids": list(ids)})
        found = {row["spot_id"]: row["summary"] for row in rows}
        return [found.get(i) for i in ids]

    async def _spots(self, ids: Sequence[UUID]) -> list[dict[str, Any] | None]:
        # A spot reached from elsewhere (a reservation, the caller's own) is shown over the
        # next 24 hours, with its next booking: the selection is not known to a batch.
        start = datetime.now(UTC)
        views = await spot_views(
            self._context,
            SQL["spots_by_id"],
            {"ids": list(ids), "start": start, "end": start + DEFAULT_SPAN},
            with_next=True,
        )
        found = {UUID(view["id"]): view for view in views}
        return [found.get(i) for i in ids]


async def spot_views(
    context: Caller, query: str, params: dict[str, Any], *, with_next: bool
) -> list[dict[str, Any]]:
    """The garage views `query` answers (one JSON list), each with its next booking under
    `next_reservation` when asked for: one transaction, one probe per spot."""

    async def work(conn: AsyncConn) -> list[dict[str, Any]]:
        row = await (await conn.execute(query, params)).fetchone()
        views: list[dict[str, Any]] = row["spots"] if row else []
        if with_next and views:
            ids = [UUID(view["id"]) for view in views]
            rows = await (await conn.execute(SQL["next_reservations"], {"ids": ids})).fetchall()
            found = {str(r["spot_id"]): r for r in rows}
            for view in views:
                view["next_reservation"] = found.get(view["id"])
        return views

    return await context.run(work)
