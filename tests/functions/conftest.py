"""Fixtures for these tests live in tests/conftest.py (shared with tests/gateway)."""

from tests.conftest import bearer

__all__ = ["bearer"]
