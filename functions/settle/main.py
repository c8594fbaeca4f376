"""POST /fn/settle: pay owners for every reservation that has ended, exactly once.

Two callers: the cron source's CloudEvent (binary or structured; settles every building,
running without a tenant context) and an admin's call with a bearer token (settles their
building; anyone else is refused by the procedure). Knative keeps this service
cluster-local; where it is reachable from outside, set PARKSHARE_SETTLE_EVENT_TOKEN and send
it as the CloudEvent extension `settletoken`.
"""

import hmac
from typing import Any

from cloudevents.http import from_http
from starlette.requests import Request
from starlette.responses import Response

from parkshare import entrypoint, ops
from parkshare.answers import Settlement
from parkshare.config import get_settings
from parkshare.http import Call, Router, answer, render
from parkshare.problems import Problem

router = Router("settle")


@router.route(
    "POST",
    errors=("forbidden",),
    summary="Settle the caller's building (admins)",
    response=Settlement,
)
async def handle(call: Call[None, None]) -> Any:
    return await ops.settle(call.user)


def _is_cloud_event(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return "ce-specversion" in request.headers or content_type.startswith(
        "application/cloudevents+json"
    )


async def _from_cron(request: Request) -> Response:
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


@entrypoint.http
async def settle(request: Request) -> Response:
    if request.method == "POST" and _is_cloud_event(request):
        return await answer(request, lambda: _from_cron(request))
    return await router(request)
