"""What every resolver of one request shares: who asks, and the request's dataloaders."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from graphql import GraphQLError
from starlette.requests import Request
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from parkshare import ops
from parkshare.gql.loaders import Loaders
from parkshare.problems import Problem, problem_from_db_error
from parkshare.store import db
from parkshare.tokens import Principal
from parkshare.windows import view_window

T = TypeVar("T")


@dataclass
class Context:
    principal: Principal | None = None
    # What a subscriber sent in `connection_init` (strawberry sets it).
    connection_params: dict[str, Any] | None = None
    # The HTTP request of a query or mutation. None on a subscriptions socket: its headers came
    # once, for every operation sent over it, so they name no one request.
    request: Request | None = field(default=None, repr=False)
    # Built on first use (subscriptions never need them).
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def user(self) -> Principal:
        if self.principal is None:
            raise problem_error(Problem("unauthenticated", "send a bearer token"))
        return self.principal

    @property
    def idempotency_key(self) -> str | None:
        """The request's Idempotency-Key header, which `reserve` takes as REST's does."""
        return None if self.request is None else self.request.headers.get(ops.IDEMPOTENCY_HEADER)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self)
        return self._loaders

    async def value(self, query: str, params: dict[str, Any] | None = None) -> Any:
        """The first column of the one row `query` answers, as the caller."""
        try:
            return await db.value(self.user.building_id, self.user.user_id, query, params)
        except psycopg.Error as exc:
            raise problem_error(problem_from_db_error(exc)) from exc

    async def rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async def work(conn: db.AsyncConn) -> list[dict[str, Any]]:
            return list(await (await conn.execute(query, params)).fetchall())

        return await self.run(work)

    async def run(self, work: Callable[[db.AsyncConn], Awaitable[T]]) -> T:
        """`work` in one transaction as the caller."""
        try:
            return await db.run(self.user.building_id, self.user.user_id, work)
        except psycopg.Error as exc:
            raise problem_error(problem_from_db_error(exc)) from exc


def ctx(info: Info[Context, Any]) -> Context:
    return info.context


def selects(info: Info[Context, Any], name: str) -> bool:
    """Whether the field being resolved asks for `name` among its subfields (through
    fragments too): what is not asked for is not read."""
    pending: list[Any] = list(info.selected_fields)
    while pending:
        node = pending.pop()
        if getattr(node, "name", None) == name and isinstance(node, SelectedField):
            return True
        pending.extend(node.selections)
    return False


def problem_error(problem: Problem) -> GraphQLError:
    """A query's failure as a GraphQL error carrying the contract's code and status."""
    return GraphQLError(problem.detail, extensions={"code": problem.code, "status": problem.status})


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    try:
        return view_window(start, end)
    except Problem as refused:
        raise problem_error(refused) from None
