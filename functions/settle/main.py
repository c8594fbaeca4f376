"""POST /fn/settle: pay owners for every reservation that has ended, exactly once.

Two callers: the cron source's CloudEvent (binary or structured; settles every building,
running without a tenant context) and an admin's call with a bearer token (settles their
building; anyone else is refused by the procedure). Knative keeps this service
cluster-local; where it is reachable from outside, set PARKSHARE_SETTLE_EVENT_TOKEN and send
it as the CloudEvent extension `settletoken`.
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from parkshare import cron, entrypoint, ops
from parkshare.answers import Settlement
from parkshare.http import Call, Router, answer

router = Router("settle")


@router.route(
    "POST",
    errors=("forbidden",),
    summary="Settle the caller's building (admins)",
    response=Settlement,
)
async def handle(call: Call[None, None]) -> Any:
    return await ops.settle(call.user)


@entrypoint.http
async def settle(request: Request) -> Response:
    if request.method == "POST" and cron.is_cloud_event(request):
        return await answer(request, lambda: cron.settle_every_building(request))
    return await router(request)
