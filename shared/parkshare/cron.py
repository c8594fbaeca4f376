"""Calls that come from the cluster's cron source rather than a person: a CloudEvent (binary or
structured) that Knative's PingSource sends, trusted only with the settlement token where
one is set (PARKSHARE_SETTLE_EVENT_TOKEN, sent as the extension `settletoken`)."""

from __future__ import annotations

import hmac

from cloudevents.http import from_http
from starlette.requests import Request
from starlette.responses import Response

from parkshare import ops
from parkshare.config import get_settings
from parkshare.http import render
from parkshare.problems import Problem


def is_cloud_event(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return "ce-specversion" in request.headers or content_type.startswith(
        "application/cloudevents+json"
    )


async def settle_every_building(request: Request) -> Response:
    """The cron's settlement: every building, without a tenant context."""
    try:
        event = from_http(dict(request.headers), await request.body())
    except Exception as exc:  # the SDK raises several unrelated types for bad input
        raise Problem("invalid_request", "not a valid CloudEvent") from exc
    expected = get_settings().settle_event_token
    if expected is not None:
        given = str(event.get("settletoken") or "")
        if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            raise Problem("forbidden", "the event does not carry the settlement token")
    return render(await ops.settle(None), 200)
