"""Settings are read from the environment as pydantic-settings read them (parkshare.config no
longer imports it, for the cold start): the same names, precedence, case-insensitivity,
parsing and validation errors, compared with a pydantic-settings class of the same fields."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest
from pydantic import ValidationError, create_model
from pydantic_settings import BaseSettings, SettingsConfigDict

from parkshare.config import ENV_PREFIX, Settings, environment_names


class _Reference(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")


# The Settings class as it was: the same fields on pydantic-settings.
Reference: type[BaseSettings] = create_model(  # type: ignore[call-overload]
    "Reference",
    __base__=_Reference,
    **{
        name: (field.annotation, copy.deepcopy(field))
        for name, field in Settings.model_fields.items()
    },
)

REPRESENTATIVE = {
    # Both names of one field: the conventional one wins, as before.
    "DATABASE_URL": "postgresql://app@db/parkshare",
    "PARKSHARE_DATABASE_URL": "postgresql://other@db/other",
    "PARKSHARE_APP_DATABASE_URL": "postgresql://app@db/app",
    # Only the second name.
    "PARKSHARE_REDIS_URL": "rediss://:hunter2@redis:6380/0",
    "PORT": "9090",
    # The old name of PARKSHARE_LOGIN_FAILURES_PER_ACCOUNT.
    "PARKSHARE_LOGIN_ATTEMPTS_PER_ACCOUNT": "7",
    # Old and new of the same: the new one wins.
    "PARKSHARE_LOGIN_FAILURES_PER_ADDRESS": "50",
    "PARKSHARE_LOGIN_ATTEMPTS_PER_ADDRESS": "60",
    # Any case.
    "parkshare_jwt_issuer": "https://issuer.example",
    "Parkshare_Jwt_Audience": "audience",
    "PARKSHARE_JWT_PRIVATE_KEYS": '{"keys": []}',
    "PARKSHARE_JWT_PUBLIC_KEYS": '{"keys": []}',
    "PARKSHARE_SECRET_KEY": "c2VjcmV0",
    "PARKSHARE_METRICS_TOKEN": "",
    "PARKSHARE_SETTLE_EVENT_TOKEN": "tick",
    "PARKSHARE_EMBEDDED": "false",
    "PARKSHARE_GRAPHQL_INTROSPECTION": "0",
    "PARKSHARE_DATA_DIR": "/var/lib/parkshare",
    "PARKSHARE_WEB_DIST": "/srv/dist",
    "PARKSHARE_RELAY_SEND_TIMEOUT_SECONDS": "2.5",
    "PARKSHARE_DB_POOL_MIN": "0",
    "PARKSHARE_DB_POOL_MAX": " 4 ",
    "PARKSHARE_LOG_FORMAT": "json",
    "PARKSHARE_CORS_ORIGINS": "https://a.example, https://b.example",
    "PARKSHARE_UNKNOWN_SETTING": "ignored",
    "HOME": "/nonexistent",
}


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Any:
    """An environment holding only what the test sets."""
    for key in list(os.environ):
        monkeypatch.delenv(key)

    def use(values: dict[str, str]) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return use


def plain(settings: Any) -> dict[str, Any]:
    return {
        k: v.get_secret_value() if hasattr(v, "get_secret_value") else v
        for k, v in settings.model_dump().items()
    }


@pytest.mark.parametrize(
    "values",
    [
        {},
        REPRESENTATIVE,
        {"PARKSHARE_EMBEDDED": "True", "PARKSHARE_GRAPHQL_INTROSPECTION": "off"},
        {"PARKSHARE_EMBEDDED": "no", "PARKSHARE_GRAPHQL_INTROSPECTION": "yes"},
        {"PARKSHARE_PORT": "7000", "database_url": "lower-case"},
        {"PARKSHARE_WEB_CONFIG": "", "PARKSHARE_SECRET_KEY": ""},
    ],
    ids=["empty", "representative", "bools", "more-bools", "names", "empty-values"],
)
def test_the_same_settings_as_pydantic_settings(environ: Any, values: dict[str, str]) -> None:
    environ(values)
    assert plain(Settings()) == plain(Reference())


def test_representative_values(environ: Any) -> None:
    environ(REPRESENTATIVE)
    settings = Settings()
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == "postgresql://app@db/parkshare"
    assert settings.redis_url is not None and "hunter2" not in repr(settings)
    assert settings.port == 9090 and settings.db_pool_max == 4
    assert settings.login_failures_per_account == 7
    assert settings.login_failures_per_address == 50
    assert settings.jwt_issuer == "https://issuer.example" and not settings.embedded
    assert settings.graphql_introspection is False
    assert settings.metrics_token is not None and settings.metrics_token.get_secret_value() == ""


@pytest.mark.parametrize(
    "values",
    [
        {"PARKSHARE_LOG_FORMAT": "xml"},
        {"PARKSHARE_DB_POOL_MAX": "0"},
        {"PARKSHARE_EMBEDDED": "maybe"},
        {"PORT": "eighty"},
        {"PARKSHARE_LOGIN_ATTEMPTS_PER_ACCOUNT": "0"},
        {"PARKSHARE_WORKER_METRICS_PORT": "70000", "PARKSHARE_MAX_BODY_BYTES": "1"},
        {"PARKSHARE_RELAY_SEND_TIMEOUT_SECONDS": "-1"},
    ],
)
def test_a_bad_value_raises_the_same_error(environ: Any, values: dict[str, str]) -> None:
    environ(values)
    with pytest.raises(ValidationError) as ours:
        Settings()
    with pytest.raises(ValidationError) as theirs:
        Reference()

    def errors(raised: pytest.ExceptionInfo[ValidationError]) -> list[tuple[Any, ...]]:
        return [(e["type"], e["loc"], e["input"]) for e in raised.value.errors()]

    assert errors(ours) == errors(theirs)


def test_every_setting_keeps_its_environment_names() -> None:
    special = {
        "database_url": ["DATABASE_URL", "PARKSHARE_DATABASE_URL"],
        "redis_url": ["REDIS_URL", "PARKSHARE_REDIS_URL"],
        "port": ["PORT", "PARKSHARE_PORT"],
        "login_failures_per_account": [
            "PARKSHARE_LOGIN_FAILURES_PER_ACCOUNT",
            "PARKSHARE_LOGIN_ATTEMPTS_PER_ACCOUNT",
        ],
        "login_failures_per_address": [
            "PARKSHARE_LOGIN_FAILURES_PER_ADDRESS",
            "PARKSHARE_LOGIN_ATTEMPTS_PER_ADDRESS",
        ],
    }
    for name in Settings.model_fields:
        assert environment_names(name) == special.get(name, [f"PARKSHARE_{name.upper()}"])


def test_keyword_arguments_take_precedence(environ: Any) -> None:
    environ({"PORT": "9090"})
    assert Settings(PORT=7070).port == 7070 == Reference(PORT=7070).port  # type: ignore[attr-defined]
