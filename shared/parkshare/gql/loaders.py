"""Batched reads: each loader turns the keys one query names into one statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from strawberry.dataloader import DataLoader

from parkshare.queries import load
from parkshare.windows import DEFAULT_SPAN

if TYPE_CHECKING:
    from parkshare.gql.context import Context

SQL = load("graphql")


class Loaders:
    def __init__(self, context: Context) -> None:
        self._context = context
        self.users = DataLoader[UUID, dict[str, Any] | None](load_fn=self._users)
        self.next_reservations = DataLoader[UUID, dict[str, Any] | None](
            load_fn=self._next_reservations
        )
        self.spots = DataLoader[UUID, dict[str, Any] | None](load_fn=self._spots)

    async def _users(self, ids: Sequence[UUID]) -> list[dict[str, Any] | None]:
        rows = await self._context.rows(SQL["users_by_id"], {"ids": list(ids)})
        found = {row["id"]: row for row in rows}
        return [found.get(i) for i in ids]

    async def _next_reservations(self, ids: Sequence[UUID]) -> list[dict[str, Any] | None]:
        rows = await self._context.rows(SQL["next_reservations"], {"ids": list(ids)})
        found = {row["spot_id"]: row for row in rows}
        return [found.get(i) for i in ids]

    async def _spots(self, ids: Sequence[UUID]) -> list[dict[str, Any] | None]:
        # A spot reached from elsewhere (a reservation) is shown over the next 24 hours.
        start = datetime.now(UTC)
        rows = await self._context.rows(
            SQL["spots_by_id"],
            {"ids": list(ids), "start": start, "end": start + DEFAULT_SPAN},
        )
        found = {UUID(row["spot"]["id"]): row["spot"] for row in rows}
        return [found.get(i) for i in ids]
