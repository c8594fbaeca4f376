"""/fn/graphql: GraphQL over HTTP (POST) for what the screens need in one request, with the
same bearer token, row-level security and error codes as the REST functions; GraphiQL on GET
where introspection is on. Subscriptions (`graphql-transport-ws`) are `websocket`, which the
gateway serves at the same path."""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, metrics
from parkshare.answers import GraphiQL, GraphQLAnswer
from parkshare.config import get_settings
from parkshare.gql import view
from parkshare.http import Call, Router
from parkshare.problems import Problem

router = Router("graphql")
websocket = view.WebSocketApp()


async def prepare() -> None:
    """What the first query would otherwise pay (~10-20 ms): the schema and its view built,
    and one document through parsing, validation and execution."""
    view.view()
    await view.schema().execute("{ __typename }")


# Subscriptions read the building's Redis stream: readiness reports Redis. The first probe
# prepares the schema, while Knative waits for it.
metrics.readiness("graphql", optional={"redis": metrics.redis_answers}, prepare=prepare)


@router.route(
    "POST",
    errors=("payload_too_large",),
    summary="A GraphQL query or mutation (application/json: {query, variables, operationName})",
    response=GraphQLAnswer,
)
async def execute(call: Call[None, None]) -> Any:
    limit = get_settings().max_body_bytes
    # Starlette keeps the body, so the GraphQL view reads it again without a copy.
    if len(await call.request.body()) > limit:
        raise Problem("payload_too_large", f"documents are limited to {limit} bytes")
    return await view.answer(call.request, call.principal)


@router.route("GET", auth=False, summary="GraphiQL, where introspection is on", response=GraphiQL)
async def ide(call: Call[None, None]) -> Any:
    if not get_settings().graphql_introspection:
        raise Problem("not_found", "the GraphQL IDE is off here")
    return await view.answer(call.request, None)


@entrypoint.http
async def graphql(request: Request) -> Response:
    return await router(request)
