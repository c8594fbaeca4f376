"""What every function does around its one call into SQL: routing inside the function,
reading the body, checking the token, and turning every failure into problem+json.

A function module declares a `Router`, registers handlers on it and hands every request to
it from its one functions-framework entry point. The framework itself turns any escaping
exception into a plain-text 500, so nothing escapes from here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import psycopg
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    ValidationError,
    field_validator,
)
from starlette.requests import Request
from starlette.responses import Response

from parkshare import audit, metrics
from parkshare.config import get_settings
from parkshare.instants import iso
from parkshare.problems import Problem, problem_from_db_error
from parkshare.store import db
from parkshare.tokens import InvalidToken, Principal, verify_access_token
from parkshare.windows import expressible

log = logging.getLogger("parkshare.http")

B = TypeVar("B", bound=BaseModel | None)
Q = TypeVar("Q", bound=BaseModel | None)
Handler = Callable[["Call[Any, Any]"], Awaitable[Any]]

# Names of fields that carry a time window: their validation errors are `invalid_window`.
_WINDOW_FIELDS = {"start", "end"}
# Every time a request carries: an offset required, and an instant every answer can express.
Instant = Annotated[AwareDatetime, AfterValidator(expressible)]


class _Text(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def storable_text(cls, value: Any) -> Any:
        # JSON allows NUL and lone surrogates; PostgreSQL text and UTF-8 do not.
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("text must not contain NUL characters")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text must be valid Unicode") from None
        return value


class Body(_Text):
    """A request body: strict, immutable, and unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Query(_Text):
    """Query parameters: unknown ones refused; values arrive as strings, so not strict."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class Call(Generic[B, Q]):
    request: Request
    body: B
    query: Q
    principal: Principal | None
    # The values of the route's `{name}` segments.
    params: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> Principal:
        # Routes with auth=True never reach a handler without one.
        assert self.principal is not None
        return self.principal


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    auth: bool
    status: int
    summary: str
    errors: tuple[str, ...]
    response: type[BaseModel] | None
    pattern: re.Pattern[str]
    # Other successes the handler may answer with the same body (it returns a Response).
    also: tuple[int, ...] = ()
    # For a route without a bearer token (auth=False) that takes a credential of its own: the
    # OpenAPI security scheme naming it (`display`: a lobby display's token).
    scheme: str | None = None
    # A route whose body is a file rather than JSON: the media types it documents (the
    # handler reads the bytes with `read_bytes` and the database decides what they are).
    upload: tuple[str, ...] = ()

    @property
    def parameters(self) -> list[str]:
        return list(self.pattern.groupindex)


_PARAMETER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def _pattern(path: str) -> re.Pattern[str]:
    """A route path as a regular expression: each `{name}` is one non-empty segment (or the
    part of one before a literal suffix, as in `/feed/{token}.ics`); the rest is literal."""
    parts = _PARAMETER.split(path)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(regex)


@dataclass
class Router:
    """The routes of one function, relative to where the function is served."""

    name: str
    routes: list[Route] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str = "/",
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        auth: bool = True,
        status: int = 200,
        summary: str = "",
        errors: tuple[str, ...] = (),
        response: type[BaseModel] | None = None,
        also: tuple[int, ...] = (),
        scheme: str | None = None,
        upload: tuple[str, ...] = (),
    ) -> Callable[[Handler], Handler]:

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(
                    method.upper(),
                    _normal(path),
                    handler,
                    body,
                    query,
                    auth,
                    status,
                    summary or (handler.__doc__ or "").strip().split("\n")[0],
                    errors,
                    response,
                    _pattern(_normal(path)),
                    also,
                    scheme,
                    upload,
                )
            )
            return handler

        return register

    async def __call__(self, request: Request) -> Response:
        # /metrics, /healthz and /readyz belong to the process, not to the function's routes.
        path = _normal(str(request.path_params.get("path", "")))
        operational = await metrics.intercept(request, path)
        if operational is not None:
            return operational
        principal: Principal | None = None

        async def produce() -> Response:
            nonlocal principal
            route, params = self._match(request)
            request.scope[metrics.ROUTE_KEY] = route.path
            # Every transaction of this request carries the token's session (and none when
            # the route takes no token, whatever ran before in this task).
            db.acting_session.set(None)
            if route.auth:
                principal = authenticate(request)
                db.acting_session.set(principal.session_id)
            body = await read_body(request, route.body) if route.body is not None else None
            query = read_query(request, route.query) if route.query is not None else None
            # The handler's events went to the outbox in its transaction; the publisher takes
            # them from there once it commits. The request does its own work only.
            call = Call(request, body, query, principal, params)
            return render(await route.handler(call), route.status)

        async def audit_refusal(problem: Problem) -> None:
            # A refused credential (not merely a missing one) is a security event.
            if problem.code != "invalid_token":
                return
            await audit.security(
                "token_refused",
                connection=request,
                building_id=principal.building_id if principal else problem.building_id,
                user_id=principal.user_id if principal else problem.user_id,
                reason=problem.reason or problem.detail,
            )

        return await answer(request, produce, audit_refusal, function=self.name)

    def _match(self, request: Request) -> tuple[Route, dict[str, str]]:
        path = _normal(str(request.path_params.get("path", "")))
        candidates: list[tuple[Route, dict[str, str]]] = []
        for r in self.routes:
            matched = r.pattern.fullmatch(path)
            if matched is not None:
                candidates.append((r, matched.groupdict()))
        if not candidates:
            raise Problem("not_found", f"no route {path} in {self.name}")
        template, params = candidates[0]
        if params:
            # A segment's value may be a secret (a calendar feed's token): the access log shows
            # the route's template instead, whatever the answer.
            root = str(request.scope.get("root_path", ""))
            request.scope[metrics.LOGGED_PATH_KEY] = root + template.path
        method = "GET" if request.method == "HEAD" else request.method
        for route, params in candidates:
            if route.method == method:
                return route, params
        raise Problem(
            "method_not_allowed", f"{path} answers {', '.join(r.method for r, _ in candidates)}"
        )


async def answer(
    request: Request,
    produce: Callable[[], Awaitable[Response]],
    on_problem: Callable[[Problem], Awaitable[None]] | None = None,
    *,
    function: str | None = None,
) -> Response:
    """The response `produce` makes, or the problem+json of whatever it raised (shown to
    `on_problem` first); counted, timed and logged under the request's id."""
    return await metrics.observed(
        request, function, lambda: _answer_or_problem(request, produce, on_problem)
    )


async def _answer_or_problem(
    request: Request,
    produce: Callable[[], Awaitable[Response]],
    on_problem: Callable[[Problem], Awaitable[None]] | None,
) -> Response:
    try:
        return await produce()
    except Problem as raised:
        problem = raised
    except psycopg.Error as exc:
        problem = problem_from_db_error(exc)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        problem = Problem("internal")
    if on_problem is not None:
        await on_problem(problem)
    return problem_response(problem)


def _normal(path: str) -> str:
    return "/" + path.strip("/")


def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem("unauthenticated", "send Authorization: Bearer <access_token>")
    try:
        return verify_access_token(token.strip())
    except InvalidToken as exc:
        problem = Problem("invalid_token")
        # Attributed only when the signature was ours: a forged token names nobody.
        problem.building_id, problem.user_id = exc.building_id, exc.user_id
        problem.reason = str(exc)
        raise problem from exc


async def read_body(request: Request, model: type[BaseModel]) -> BaseModel:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Problem("unsupported_media_type", "send the body as application/json")
    raw = await read_bytes(request, get_settings().max_body_bytes)
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise validation_problem(exc) from exc


async def read_bytes(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed `limit` bytes (by its
    declared length, or while it streams in): never read whole into memory first."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem("payload_too_large", f"bodies are limited to {limit} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise Problem("payload_too_large", f"bodies are limited to {limit} bytes")
    return bytes(raw)


def read_query(request: Request, model: type[BaseModel]) -> BaseModel:
    params = request.query_params
    repeated = [k for k in params if len(params.getlist(k)) > 1]
    if repeated:
        raise Problem("invalid_request", f"repeated query parameter: {', '.join(repeated)}")
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise validation_problem(exc) from exc


def validation_problem(exc: ValidationError) -> Problem:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    first = errors[0] if errors else None
    where = ".".join(str(p) for p in first["loc"]) if first else ""
    detail = f"{where}: {first['msg']}" if first and where else (first["msg"] if first else "")
    if any(e["type"] == "json_invalid" for e in errors):
        problem = Problem("invalid_json", "the body is not valid JSON")
    elif errors and all(e["loc"] and e["loc"][0] in _WINDOW_FIELDS for e in errors):
        problem = Problem("invalid_window", detail)
    else:
        problem = Problem("invalid_request", detail or "the request does not match its schema")
    problem.errors = [
        {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]} for e in errors
    ]
    return problem


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_default, separators=(",", ":")).encode()


@dataclass(frozen=True)
class JsonText:
    """An answer already written as JSON (by PostgreSQL): sent as it is."""

    text: str


def render(result: Any, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, JsonText):
        return Response(result.text.encode(), status_code=status, media_type="application/json")
    if result is None:
        return Response(status_code=204)
    return Response(dumps(result), status_code=status, media_type="application/json")


_HTTP_STATUS_CODES = {404: "not_found", 405: "method_not_allowed"}


async def http_problem(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, a method no route takes) as problem+json: every
    answer of a function, the gateway and `parkshare web` is JSON."""
    status = getattr(exc, "status_code", 500)
    code = _HTTP_STATUS_CODES.get(status)
    if code is None:
        problem = Problem("invalid_request", str(getattr(exc, "detail", "")), status=status)
    elif code == "not_found":
        problem = Problem(code, f"nothing at {request.url.path}")
    else:
        problem = Problem(code, f"{request.method} is not answered at {request.url.path}")
    response = problem_response(problem)
    allow = (getattr(exc, "headers", None) or {}).get("Allow")
    if allow:
        response.headers["Allow"] = allow
    return response


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/ is ignored.
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def file_answer(request: Request, body: bytes, media_type: str, version: str) -> Response:
    """A stored file for the caller alone: 200 with it, or 304 when the request's
    If-None-Match holds its version. Revalidated on every use (it can change at any time),
    and never sniffed as anything but the type the database read from its bytes."""
    headers = {
        "ETag": f'"{version}"',
        "Cache-Control": "private, max-age=0, must-revalidate",
        "X-Content-Type-Options": "nosniff",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def problem_response(problem: Problem) -> Response:
    headers = dict(problem.headers)
    if problem.status == 401:
        # A route with a scheme of its own (a display's board) says so in its problem.
        headers.setdefault("WWW-Authenticate", 'Bearer realm="parkshare"')
    return Response(
        dumps(problem.as_dict()),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=headers,
    )
