"""The OpenAPI 3.1 document of the function URLs, generated from the functions' routers:
their pydantic models, auth flags, statuses and error codes, and the shapes of their answers
(parkshare.answers), every one of which is a component."""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel

from parkshare import answers, functions
from parkshare.http import Route
from parkshare.problems import CODES

JSON = "application/json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        # What failed validation, when it was the request (http.validation_problem).
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": "string"}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _package_version() -> str:
    try:
        return version("parkshare")
    except PackageNotFoundError:
        return "0.0.0"


class _Schemas:
    """Model schemas under components/schemas, with pydantic's $defs hoisted beside them.

    Functions are written independently, so two of them may well both call a model `Body`:
    a name already taken by a different schema gets the function's name as a prefix rather
    than silently replacing the other one.
    """

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}

    def _name(self, name: str, schema: Any, owner: str) -> str:
        taken = self.components.get(name)
        if taken is None or taken == schema:
            return name
        return "".join(part.capitalize() for part in owner.split("-")) + name

    def hoist(self, schema: dict[str, Any], owner: str) -> dict[str, Any]:
        """`schema` without its $defs, which move to the components, refs rewritten."""
        defs: dict[str, Any] = schema.pop("$defs", {})
        same = {f"#/$defs/{name}": f"#/components/schemas/{name}" for name in defs}
        names = {name: self._name(name, _refs(sub, same), owner) for name, sub in defs.items()}
        renames = {f"#/$defs/{old}": f"#/components/schemas/{new}" for old, new in names.items()}
        for old, new in names.items():
            self.components[new] = _refs(defs[old], renames)
        rewritten: dict[str, Any] = _refs(schema, renames)
        return rewritten

    def ref(self, model: type[BaseModel], owner: str) -> dict[str, str]:
        schema = self.hoist(model.model_json_schema(), owner)
        name = self._name(model.__name__, schema, owner)
        self.components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def _refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            k: renames.get(v, v) if k == "$ref" and isinstance(v, str) else _refs(v, renames)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_refs(v, renames) for v in node]
    return node


def _problems(codes: list[str]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(CODES[code].status if code in CODES else 500, []).append(code)
    return {
        str(status): {
            "description": ", ".join(sorted(set(names))),
            "content": {
                "application/problem+json": {
                    "schema": {
                        "allOf": [
                            {"$ref": "#/components/schemas/Problem"},
                            {"properties": {"code": {"enum": sorted(set(names))}}},
                        ]
                    }
                }
            },
        }
        for status, names in sorted(by_status.items())
    }


def _operation(name: str, route: Route, schemas: _Schemas) -> dict[str, Any]:
    codes = list(route.errors)
    # `/feed/{token}.ics` as `_feed_token_ics`: an operationId is a plain name.
    path_id = re.sub(r"[^A-Za-z0-9_-]", "_", route.path.replace("{", "").replace("}", ""))
    op: dict[str, Any] = {
        "operationId": f"{functions.target_of(name)}{path_id.rstrip('_')}_{route.method.lower()}",
        "summary": route.summary,
        "tags": [name],
    }
    if route.auth:
        op["security"] = [{"bearer": []}]
        codes += ["unauthenticated", "invalid_token"]
    elif route.scheme is not None:
        op["security"] = [{route.scheme: []}]
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(route.body, name)}},
        }
        codes += ["invalid_request", "invalid_json", "unsupported_media_type", "payload_too_large"]
    if route.upload:
        binary = {"schema": {"type": "string", "format": "binary"}}
        op["requestBody"] = {
            "required": True,
            "content": {media_type: binary for media_type in route.upload},
        }
        codes.append("payload_too_large")
    parameters: list[dict[str, Any]] = [
        {"name": segment, "in": "path", "required": True, "schema": {"type": "string"}}
        for segment in route.parameters
    ]
    if route.parameters:
        # A segment no route can take (a line break in it, say) reaches no handler: 404.
        codes.append("not_found")
    if route.query is not None:
        schema = schemas.hoist(route.query.model_json_schema(), name)
        required = set(schema.get("required", []))
        parameters += [
            {"name": field, "in": "query", "required": field in required, "schema": prop}
            for field, prop in schema.get("properties", {}).items()
        ]
        codes.append("invalid_request")
    if parameters:
        op["parameters"] = parameters
    successes = {
        str(status): _success(name, route, schemas) for status in (route.status, *route.also)
    }
    op["responses"] = successes | _problems(codes)
    return op


def _success(name: str, route: Route, schemas: _Schemas) -> dict[str, Any]:
    """The 2xx (or redirect) of a route: its `response` model, in its own media type (an
    `answers.Page` is not JSON), or no body at all."""
    if route.status == 204:
        return {"description": "no content"}
    if 300 <= route.status < 400:
        location = {"required": True, "schema": {"type": "string", "format": "uri"}}
        return {"description": "a redirect", "headers": {"Location": location}}
    if route.response is None:
        return {"description": "success", "content": {JSON: {"schema": {"type": "object"}}}}
    media_type = getattr(route.response, "media_type", JSON)
    schema = schemas.ref(route.response, name)
    return {"description": "success", "content": {media_type: {"schema": schema}}}


def document() -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for name in functions.available():
        for route in functions.router(name).routes:
            url = f"/fn/{name}" + ("" if route.path == "/" else route.path)
            paths.setdefault(url, {})[route.method.lower()] = _operation(name, route, schemas)
    # Every shape of parkshare.answers, whether or not a route names it yet: clients (the web
    # app's types among them) are generated from the document.
    for model in answers.models():
        schemas.ref(model, "answers")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "parkshare",
            "version": _package_version(),
            "description": "Residents of a building share their parking spots. Every "
            "function is its own URL; errors are application/problem+json with a `code`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "display": {
                    "type": "http",
                    "scheme": "Display",
                    "description": "a lobby display's token (POST /fn/admin/displays), as"
                    " `Authorization: Display <token>`",
                },
            },
        },
    }
