"""The GraphQL endpoint: HTTP through the functions' Router (the same bearer token, errors and
audit as every function), and `graphql-transport-ws` for subscriptions, where the token comes
in the `connection_init` payload (`{"authorization": "Bearer <token>"}`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import strawberry
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionContext
from strawberry.types.unset import UNSET, UnsetType

from parkshare import audit, db
from parkshare.config import get_settings
from parkshare.gql import limits
from parkshare.gql.context import Context
from parkshare.gql.schema import DATETIME, Mutation, Query, Subscription
from parkshare.problems import Problem
from parkshare.tokens import InvalidToken, Principal, verify_access_token


def _expected(error: GraphQLError) -> bool:
    """A refusal with the contract's code, or a document or variables refused before anything
    ran (no path): not a fault."""
    return bool(error.extensions and "code" in error.extensions) or error.path is None


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Refusals are answers, not faults: only the unexpected is logged (with its trace).
        super().process_errors([e for e in errors if not _expected(e)], execution_context)


def build_schema(*, introspection: bool) -> strawberry.Schema:
    # Factories: each request gets fresh extension instances.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=limits.MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=limits.MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=limits.MAX_TOKENS),
        lambda: AddValidationRules([limits.CostLimit]),
        # An unexpected exception's message (SQL, internals) never reaches the client.
        lambda: MaskErrors(should_mask_error=lambda error: not _expected(error)),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return _Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map={datetime: DATETIME}),
    )


@cache
def schema() -> strawberry.Schema:
    return build_schema(introspection=get_settings().graphql_introspection)


def sdl() -> str:
    """The schema in SDL, as exported to web/schema.graphql."""
    return build_schema(introspection=True).as_str() + "\n"


class View(GraphQL[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        principal = request.scope.get("parkshare.principal")
        return Context(principal=principal if isinstance(principal, Principal) else None)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        header = str(params.get("authorization") or params.get("Authorization") or "")
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise InvalidToken("no bearer token in connection_init")
            context.principal = verify_access_token(token.strip())
        except InvalidToken as exc:
            if token:
                await audit.security(
                    "token_refused",
                    building_id=exc.building_id,
                    user_id=exc.user_id,
                    reason=str(exc),
                    path="graphql-transport-ws",
                )
            raise ConnectionRejectionError({"code": "invalid_token"}) from exc
        unset: UnsetType = UNSET
        return unset


_HTTP_CODES = {
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@cache
def view() -> View:
    settings = get_settings()
    return View(
        schema(),
        graphql_ide="graphiql" if settings.graphql_introspection else None,
        allow_queries_via_get=False,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    )


async def answer(request: Request, principal: Principal | None) -> Response:
    """The HTTP answer, for a caller the Router has authenticated (or the IDE page)."""
    request.scope["parkshare.principal"] = principal
    db.acting_session.set(principal.session_id if principal else None)
    try:
        return await view().run(request)
    except HTTPException as exc:
        # What the GraphQL view refuses before executing (no body, not JSON, no query).
        code = _HTTP_CODES.get(exc.status_code, "invalid_request")
        raise Problem(code, exc.reason, status=exc.status_code) from exc


class WebSocketApp:
    """The subscriptions endpoint as an ASGI app (mounted by the gateway, or served alone)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await view()(scope, receive, send)
