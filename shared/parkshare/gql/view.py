"""The GraphQL endpoint: HTTP through the functions' Router (the same bearer token, errors and
audit as every function), and `graphql-transport-ws` for subscriptions, where the token comes
in the `connection_init` payload (`{"authorization": "Bearer <token>"}`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import psycopg
import strawberry
from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.config import StrawberryConfig
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionContext
from strawberry.types.unset import UNSET, UnsetType

from parkshare import audit
from parkshare.config import get_settings
from parkshare.gql import limits
from parkshare.gql.context import Context
from parkshare.gql.schema import DATETIME, Mutation, Query, Subscription
from parkshare.headers import GRAPHIQL_POLICY
from parkshare.problems import Problem
from parkshare.sessions import verify_live
from parkshare.store import db
from parkshare.tokens import InvalidToken, Principal


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


# The document rules, built once: the validation cache is keyed by the document and the rule
# classes, and strawberry's limiters would make new classes for every request. Every rule
# reads the document only (not the variables), so one document always validates alike.
_RULES = (
    depth_limit(limits.MAX_DEPTH, None),
    alias_limit(limits.MAX_ALIASES),
    limits.CostLimit,
)
_CACHED_DOCUMENTS = 256


def build_schema(*, introspection: bool) -> strawberry.Schema:
    # Factories: each request gets fresh extension instances.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=limits.MAX_TOKENS),
        lambda: AddValidationRules(list(_RULES)),
        # A screen sends the same few documents again and again: parsed and validated once.
        lambda: ParserCache(maxsize=_CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=_CACHED_DOCUMENTS),
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
        return Context(
            principal=principal if isinstance(principal, Principal) else None,
            request=request if isinstance(request, Request) else None,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        params = getattr(context, "connection_params", None) or {}
        header = str(params.get("authorization") or params.get("Authorization") or "")
        scheme, _, token = header.partition(" ")
        try:
            if scheme.lower() != "bearer":
                raise InvalidToken("no bearer token in connection_init")
            context.principal = await verify_live(token.strip())
        except psycopg.Error as exc:
            raise ConnectionRejectionError({"code": "unavailable"}) from exc
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


_REQUEST_FIELDS = {"query": str, "variables": dict, "operationName": str, "extensions": dict}


async def _refuse_malformed(request: Request) -> dict[str, Any] | None:
    """A POST body the GraphQL view would choke on is refused here, with a code: it must be
    UTF-8 JSON of one object whose fields have their types (GraphQL over HTTP). Answers the
    request's document."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or media != "application/json":
        return None  # the view answers 415 for what it does not take
    try:
        document = json.loads(await request.body())
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes not UTF-8
        raise Problem("invalid_json", "the body is not JSON in UTF-8") from exc
    if not isinstance(document, dict):
        raise Problem(
            "invalid_request", "a GraphQL request is one object: {query, variables, operationName}"
        )
    for name, kind in _REQUEST_FIELDS.items():
        if document.get(name) is not None and not isinstance(document[name], kind):
            raise Problem("invalid_request", f"{name} must be a {kind.__name__}")
    if not isinstance(document.get("query"), str):
        raise Problem("invalid_request", "a GraphQL request has a query (a string)")
    return document


def _subscription_over_http(document: dict[str, Any]) -> Response | None:
    """A subscription is a stream: over HTTP it is refused in GraphQL's own error format,
    pointing to the WebSocket at the same URL."""
    query = document["query"]
    if "subscription" not in query:
        return None
    try:
        operation = get_operation_ast(parse(query), document.get("operationName"))
    except GraphQLError:
        return None  # the view reports the syntax error itself
    if operation is None or operation.operation != OperationType.SUBSCRIPTION:
        return None
    error = {
        "message": "subscriptions are served over graphql-transport-ws at this URL, not HTTP",
        "extensions": {"code": "subscription_over_http"},
    }
    return JSONResponse({"data": None, "errors": [error]}, status_code=400)


async def answer(request: Request, principal: Principal | None) -> Response:
    """The HTTP answer, for a caller the Router has authenticated (or the IDE page)."""
    document = await _refuse_malformed(request)
    refused = _subscription_over_http(document) if document is not None else None
    if refused is not None:
        return refused
    request.scope["parkshare.principal"] = principal
    db.acting_session.set(principal.session_id if principal else None)
    try:
        response = await view().run(request)
    except HTTPException as exc:
        # What the GraphQL view refuses before executing (no body, not JSON, no query).
        code = _HTTP_CODES.get(exc.status_code, "invalid_request")
        raise Problem(code, exc.reason, status=exc.status_code) from exc
    if response.headers.get("content-type", "").startswith("text/html"):
        # The IDE page: its scripts come from unpkg.
        response.headers["Content-Security-Policy"] = GRAPHIQL_POLICY
    return response


class WebSocketApp:
    """The subscriptions endpoint as an ASGI app (mounted by the gateway, or served alone)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await view()(scope, receive, send)
