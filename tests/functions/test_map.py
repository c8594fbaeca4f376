"""/fn/map and the admin's /fn/admin/plans over HTTP through the real entry points: the plan's
type comes from its bytes whatever the Content-Type says; too large is a 413, never a 500; the
image is answered in its type with its version as ETag, and 304 when the client holds it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import httpx

from parkshare.run.gateway import create_app
from tests.functions.conftest import bearer, code_of
from tests.images import GIF, MIB, SVG, jpeg, png, png_of_size, webp
from tests.support import Garage


async def test_the_admin_draws_the_map_and_a_resident_reads_it(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner = g.user("Owner")
    a, b = g.spot(owner, "A-1"), g.spot(owner, "A-2")
    admin = bearer(g, g.admin_id, "admin")
    resident = bearer(g, owner)
    async with client("admin") as http:
        # A PNG sent as text/plain (and as an SVG) is a PNG: the bytes decide.
        put = await http.put(
            "/plans/Level 1", content=png(), headers=admin | {"Content-Type": "image/svg+xml"}
        )
        assert put.status_code == 200, put.text
        level = put.json()
        assert (level["level"], level["media_type"]) == ("Level 1", "image/png")
        put = await http.put("/plans/-1", content=webp(), headers=admin)
        assert put.json()["media_type"] == "image/webp"
        for spot, where, x, y in ((a, "Level 1", 0.25, 0.5), (b, "-1", 1, 0)):
            placed = await http.post(
                "/plans/place",
                json={"spot_id": str(spot), "level": where, "x": x, "y": y},
                headers=admin,
            )
            assert placed.status_code == 200, placed.text
            assert placed.json() == {"spot_id": str(spot), "level": where, "x": x, "y": y}

    async with client("map") as http:
        seen = await http.get("/", headers=resident)
        assert seen.status_code == 200, seen.text
        body = seen.json()
        assert [lv["level"] for lv in body["levels"]] == ["-1", "Level 1"]
        assert {p["spot_id"]: p["level"] for p in body["positions"]} == {
            str(a): "Level 1",
            str(b): "-1",
        }
        image = await http.get("/plan", params={"level": "Level 1"}, headers=resident)
        assert image.status_code == 200
        assert image.content == png()
        assert image.headers["content-type"] == "image/png"
        assert image.headers["etag"] == f'"{level["version"]}"'
        assert image.headers["cache-control"] == "private, max-age=0, must-revalidate"
        assert image.headers["x-content-type-options"] == "nosniff"
        held = await http.get(
            "/plan",
            params={"level": "Level 1"},
            headers=resident | {"If-None-Match": image.headers["etag"]},
        )
        assert (held.status_code, held.content) == (304, b"")
        assert held.headers["etag"] == image.headers["etag"]
        stale = await http.get(
            "/plan", params={"level": "Level 1"}, headers=resident | {"If-None-Match": '"old"'}
        )
        assert stale.status_code == 200
        missing = await http.get("/plan", params={"level": "P9"}, headers=resident)
        assert (missing.status_code, code_of(missing)) == (404, "level_not_found")
        anonymous = await http.get("/")
        assert (anonymous.status_code, code_of(anonymous)) == (401, "unauthenticated")

    async with client("admin") as http:
        # A new image changes the version: the client's copy is stale.
        again = await http.put("/plans/Level 1", content=jpeg(), headers=admin)
        assert again.json()["version"] != level["version"]
        unplaced = await http.post("/plans/unplace", json={"spot_id": str(b)}, headers=admin)
        assert unplaced.status_code == 204
        removed = await http.delete("/plans/Level 1", headers=admin)
        assert removed.status_code == 204
        gone = await http.delete("/plans/Level 1", headers=admin)
        assert (gone.status_code, code_of(gone)) == (404, "level_not_found")
    async with client("map") as http:
        body = (await http.get("/", headers=resident)).json()
        assert [lv["level"] for lv in body["levels"]] == ["-1"]
        assert body["positions"] == []
        image = await http.get("/plan", params={"level": "Level 1"}, headers=resident)
        assert image.status_code == 404


async def test_what_is_not_a_png_jpeg_or_webp_is_refused(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    admin = bearer(g, g.admin_id, "admin")
    async with client("admin") as http:
        for image, claimed in ((SVG, "image/png"), (GIF, "image/gif"), (b"", "image/png")):
            answer = await http.put(
                "/plans/P1", content=image, headers=admin | {"Content-Type": claimed}
            )
            assert (answer.status_code, code_of(answer)) == (422, "invalid_image")
        bad_name = await http.put("/plans/" + "x" * 61, content=png(), headers=admin)
        assert (bad_name.status_code, code_of(bad_name)) == (422, "invalid_request")


async def test_a_plan_over_2_mib_is_a_413_and_never_a_500(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    admin = bearer(g, g.admin_id, "admin")
    async with client("admin") as http:
        fits = await http.put("/plans/P1", content=png_of_size(2 * MIB), headers=admin)
        assert fits.status_code == 200, fits.text
        over = await http.put("/plans/P1", content=png_of_size(2 * MIB + 1), headers=admin)
        assert (over.status_code, code_of(over)) == (413, "image_too_large")
        far_over = await http.put("/plans/P1", content=png_of_size(3 * MIB), headers=admin)
        assert (far_over.status_code, code_of(far_over)) == (413, "payload_too_large")

        async def streamed() -> AsyncIterator[bytes]:
            # No Content-Length: refused while it streams in.
            for _ in range(5):
                yield b"\x89PNG\r\n\x1a\n" + b"\x00" * MIB

        chunked = await http.put("/plans/P1", content=streamed(), headers=admin)
        assert (chunked.status_code, code_of(chunked)) == (413, "payload_too_large")


async def test_placing_refuses_an_unknown_spot_or_level_and_a_position_off_the_plan(
    client: Callable[[str], httpx.AsyncClient], api_garage: Garage
) -> None:
    g = api_garage
    owner = g.user("Owner")
    spot = g.spot(owner)
    admin = bearer(g, g.admin_id, "admin")
    async with client("admin") as http:
        await http.put("/plans/P1", content=png(), headers=admin)

        async def place(spot_id: object, level: str, x: float, y: float) -> httpx.Response:
            body = {"spot_id": str(spot_id), "level": level, "x": x, "y": y}
            return await http.post("/plans/place", json=body, headers=admin)

        for answer, status, code in (
            (await place(uuid4(), "P1", 0.5, 0.5), 404, "spot_not_found"),
            (await place(spot, "P9", 0.5, 0.5), 404, "level_not_found"),
            (await place(spot, "P1", 1.5, 0.5), 422, "invalid_position"),
            (await place(spot, "P1", 0.5, -0.1), 422, "invalid_position"),
        ):
            assert (answer.status_code, code_of(answer)) == (status, code)
        unknown = await http.post("/plans/unplace", json={"spot_id": str(uuid4())}, headers=admin)
        assert (unknown.status_code, code_of(unknown)) == (404, "spot_not_found")

        # Residents cannot draw the map.
        mine = bearer(g, owner)
        for answer in (
            await http.put("/plans/P1", content=png(), headers=mine),
            await http.delete("/plans/P1", headers=mine),
            await http.post(
                "/plans/place",
                json={"spot_id": str(spot), "level": "P1", "x": 0, "y": 0},
                headers=mine,
            ),
            await http.post("/plans/unplace", json={"spot_id": str(spot)}, headers=mine),
        ):
            assert (answer.status_code, code_of(answer)) == (403, "forbidden")


async def test_the_gateway_carries_a_2_mib_plan_and_refuses_more_as_problem_json(
    api_garage: Garage, pool: object
) -> None:
    g = api_garage
    admin = bearer(g, g.admin_id, "admin")
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as http:
        fits = await http.put("/fn/admin/plans/P1", content=png_of_size(2 * MIB), headers=admin)
        assert fits.status_code == 200, fits.text
        over = await http.put("/fn/admin/plans/P1", content=png_of_size(3 * MIB), headers=admin)
        assert over.status_code == 413
        assert over.headers["content-type"].startswith("application/problem+json")
        image = await http.get("/fn/map/plan", params={"level": "P1"}, headers=admin)
        assert (image.status_code, len(image.content)) == (200, 2 * MIB)
