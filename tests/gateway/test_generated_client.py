"""A Python client generated from /openapi.json by openapi-python-client books a spot against
a real gateway, and what it reads back are its typed models, not dictionaries: the document
describes every answer (parkshare.answers)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from uuid import UUID

import httpx
import pytest

from tests.conftest import TestDb, bearer
from tests.gateway.conftest import free_port, gateway_command, server_env, serving
from tests.support import Garage, next_hour

PACKAGE = "parkshare_generated_client"
# Images (a level's plan, sent and answered as itself) are bytes to a Python client.
IMAGES = ("image/png", "image/jpeg", "image/webp", "image/*")
# No formatting of the generated code (its default post-hooks run ruff): seconds saved.
CONFIG = (
    f"post_hooks: []\npackage_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\n"
    "content_type_overrides:\n"
    + "".join(f'  "{media_type}": application/octet-stream\n' for media_type in IMAGES)
)


@pytest.fixture
def served(api_database: TestDb, redis_url: str) -> Iterator[str]:
    port = free_port()
    with serving(gateway_command(port), server_env(api_database, redis_url), port) as base:
        yield base


@pytest.fixture
def generated(served: str, tmp_path: Path) -> Iterator[ModuleType]:
    """The generated package, imported from `tmp_path` and forgotten afterwards."""
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{served}/openapi.json").content)
    executable = shutil.which("openapi-python-client", path=os.path.dirname(sys.executable))
    assert executable
    output, config = tmp_path / PACKAGE, tmp_path / "config.yaml"
    config.write_text(CONFIG)
    command = [executable, "generate", "--path", str(document), "--meta", "none"]
    done = subprocess.run(
        [*command, "--output-path", str(output), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # What it could not turn into a model, it says (and leaves a dict): nothing of ours.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _hints(module: ModuleType, model: str) -> dict[str, object]:
    models = importlib.import_module(f"{module.__name__}.models")
    return typing.get_type_hints(getattr(models, model), localns=vars(models))


def test_a_generated_client_books_with_typed_models(
    generated: ModuleType, served: str, api_garage: Garage
) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    reserve = importlib.import_module(f"{PACKAGE}.api.reserve.reserve_post")
    list_spots = importlib.import_module(f"{PACKAGE}.api.list_spots.list_spots_get")
    me = importlib.import_module(f"{PACKAGE}.api.me.me_get")
    owner, parker = api_garage.user("Owner"), api_garage.user("Parker")
    spot = api_garage.spot(owner)
    api_garage.offer(owner, spot, next_hour(), next_hour(5))
    token = bearer(api_garage, parker)["Authorization"].removeprefix("Bearer ")
    client = generated.AuthenticatedClient(base_url=served, token=token)

    start, end = next_hour(2), next_hour(3)
    body = models.ReserveBody(spot_id=spot, start=start, end=end)
    booked = reserve.sync(client=client, body=body)
    garage = list_spots.sync(client=client, start=start, end=end)
    page = me.sync(client=client)

    assert isinstance(booked, models.Reservation), booked
    assert isinstance(booked.id, UUID) and booked.spot_id == spot
    assert (booked.start, booked.end) == (start, end)
    assert booked.status is models.ReservationStatus.BOOKED
    assert isinstance(garage, models.Garage), garage
    (view,) = garage.spots
    assert isinstance(view, models.SpotView) and view.id == spot
    assert isinstance(view.status_now, models.SpotStatus)
    assert view.reservations[0].mine is True and view.free_for_window is False
    assert isinstance(page, models.Me), page
    # The generator suffixes the names of Python's builtins, and `site` makes `credits` one:
    # JSON's `credits` is the model's `credits_` (as `from` is AccountRef's `from_`).
    assert page.credits_ == api_garage.balance(parker)
    assert [r.id for r in page.reservations.upcoming] == [booked.id]
    # Declared so, not merely so at run time: what a type checker of the client's user sees.
    assert _hints(generated, "Reservation")["id"] is UUID
    assert _hints(generated, "SpotView")["status_now"] is models.SpotStatus
    assert _hints(generated, "Me")["credits_"] is int
    assert page.to_dict()["credits"] == page.credits_
