"""Functions under test are the real entry points, loaded as functions-framework loads them,
served over ASGI to httpx, against one migrated database shared by the module's tests
(each test builds its own building in it, which row-level security keeps apart)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from uuid import UUID

import httpx
import pytest

from parkshare import db, functions
from parkshare.config import get_settings
from parkshare.tokens import Principal, issue_access_token
from tests.conftest import TestDb
from tests.support import Garage


@pytest.fixture(scope="session")
def api_database(
    template_database: str, database_factory: Callable[[str | None], TestDb]
) -> TestDb:
    return database_factory(template_database)


@pytest.fixture(scope="session", autouse=True)
def _api_environment(
    api_database: TestDb, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in ("PARKSHARE_APP_DATABASE_URL", "PARKSHARE_DATA_DIR")}
    os.environ["PARKSHARE_APP_DATABASE_URL"] = api_database.app_url
    os.environ["PARKSHARE_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    get_settings.cache_clear()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="session")
async def pool(_api_environment: None) -> AsyncIterator[db.Pool]:
    yield await db.get_pool()
    await db.close_pool()


@pytest.fixture
def client(pool: db.Pool) -> Callable[[str], httpx.AsyncClient]:
    """httpx client of one function, served as Knative would serve it alone."""
    apps = {}

    def make(name: str) -> httpx.AsyncClient:
        if name not in apps:
            apps[name] = functions.load(name)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps[name]), base_url=f"http://{name}.test"
        )

    return make


@pytest.fixture
def api_garage(api_database: TestDb) -> Iterator[Garage]:
    built = Garage.create(api_database)
    yield built
    built.close()


def bearer(garage: Garage, user: UUID, role: str = "resident") -> dict[str, str]:
    token = issue_access_token(Principal(user, garage.building_id, role))
    return {"Authorization": f"Bearer {token}"}
