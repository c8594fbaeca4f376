from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import TestDb
from tests.support import Garage


@pytest.fixture
def garage(database: TestDb) -> Iterator[Garage]:
    built = Garage.create(database)
    yield built
    built.close()
