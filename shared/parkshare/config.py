"""Settings read from the environment.

`DATABASE_URL`, `REDIS_URL` and `PORT` keep their conventional names; everything else
carries the `PARKSHARE_` prefix. They are read as pydantic-settings read them (each field
from the first of its names set, matched case-insensitively, then validated), without
importing it: it and its sources (dotenv, AWS, Azure, GCP, TOML, YAML) cost a cold start
~15 ms for what is a plain model over `os.environ`. tests/test_config.py compares the two.
"""

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr

ENV_PREFIX = "PARKSHARE_"


class Settings(BaseModel):
    """`Settings()` reads the environment; keyword arguments (as `from_environment` keys
    them) take precedence over it."""

    model_config = ConfigDict(extra="ignore", validate_default=True)

    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PARKSHARE_DATABASE_URL")
    )
    app_database_url: SecretStr | None = None
    app_db_password: SecretStr | None = None
    redis_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "PARKSHARE_REDIS_URL")
    )
    data_dir: Path = Path(".data")
    port: int = Field(default=8080, validation_alias=AliasChoices("PORT", "PARKSHARE_PORT"))
    db_pool_min: int = Field(default=1, ge=0)
    db_pool_max: int = Field(default=10, ge=1)
    # Access tokens (parkshare.tokens): a JWKS of private keys for the signer, of public
    # keys for verifiers; neither set means a generated key under data_dir.
    jwt_private_keys: SecretStr | None = None
    jwt_public_keys: str | None = None
    jwt_issuer: str = "parkshare"
    jwt_audience: str = "parkshare"
    # Failed logins allowed per window, per account and per client address (Redis).
    # Successful ones never count: a building's residents often share one public address.
    login_failures_per_account: int = Field(
        default=5,
        ge=1,
        validation_alias=AliasChoices(
            "PARKSHARE_LOGIN_FAILURES_PER_ACCOUNT", "PARKSHARE_LOGIN_ATTEMPTS_PER_ACCOUNT"
        ),
    )
    login_failures_per_address: int = Field(
        default=100,
        ge=1,
        validation_alias=AliasChoices(
            "PARKSHARE_LOGIN_FAILURES_PER_ADDRESS", "PARKSHARE_LOGIN_ATTEMPTS_PER_ADDRESS"
        ),
    )
    login_window_seconds: int = Field(default=300, ge=1)
    # Seals SSO client secrets in the database and the sign-on cookie (32 bytes, base64url);
    # none set means a generated key under data_dir.
    secret_key: SecretStr | None = None
    # Where residents open the app (SSO ends there); the gateway's origin by default.
    public_url: str | None = None
    # The redirect URL registered with SSO providers: the auth function's `/sso/callback`
    # (by default on the gateway, `<public_url>/fn/auth/sso/callback`).
    sso_callback_url: str | None = None
    # Where calendar clients fetch feeds from: the `calendar` function's own URL (by default on
    # the gateway, `<public_url>/fn/calendar`). Feed URLs are `<this>/feed/<token>.ics`.
    calendar_url: str | None = None
    # GraphQL: introspection and the GraphiQL page (on in development; turn off in
    # production if the schema should not be browsable).
    graphql_introspection: bool = True
    # If set, settlement CloudEvents must carry it as the extension `settletoken`.
    settle_event_token: SecretStr | None = None
    # Request bodies larger than this are refused with 413 before they are parsed.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Events kept per building stream (approximately): the history a reconnecting client
    # can replay with `last_id`.
    stream_maxlen: int = Field(default=10_000, ge=100)
    # Relay: the recent events each building's feed keeps for its clients (one shared copy);
    # a client further behind than that is dropped (it reconnects with `last_id` and loses
    # nothing), as is one whose single send takes longer than the timeout.
    relay_queue_max: int = Field(default=2_000, ge=1)
    relay_send_timeout_seconds: float = Field(default=5.0, gt=0)
    # Worker: how often the sweep settles what a lost job missed and republishes the outbox,
    # and how long published outbox rows are kept.
    sweep_seconds: int = Field(default=60, ge=1)
    outbox_keep_hours: int = Field(default=24, ge=1)
    # How long a reserve's Idempotency-Key answers repeats; the sweep deletes older keys.
    idempotency_keep_hours: int = Field(default=24, ge=1)
    # Mail (parkshare.notify): SMTP (`smtp://host:port`, `smtps://user:pass@host:port`;
    # `smtp://` upgrades with STARTTLS when the server offers it) or Amazon SES in a region
    # (boto3; AWS_ENDPOINT_URL points it at any SES-compatible endpoint). Neither set: no
    # mail is sent; in-app notifications work regardless.
    smtp_url: SecretStr | None = None
    ses_region: str | None = None
    mail_from: str = "parkshare <parkshare@localhost>"
    # One SMTP or SES call may take this long before it counts as failed (and is retried).
    mail_timeout_seconds: float = Field(default=30.0, gt=0)
    # Webhooks: loopback receivers (and plain http:// to them) only when this is true, for
    # development and tests; private and link-local addresses are refused regardless.
    webhooks_allow_loopback: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # Operations (parkshare.run.serve, parkshare.metrics, parkshare.logs). False in containers:
    # a server or key left unconfigured stops the process at start, rather than an embedded
    # server or a generated key quietly standing in for the real one.
    embedded: bool = True
    # If set, /metrics answers only `Authorization: Bearer <token>`.
    metrics_token: SecretStr | None = None
    # The worker's /metrics port; 0 serves none.
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    # "json" (one object a line, with the request id), "text", or "auto": text on a terminal.
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"
    # Browser origins allowed to call the functions (comma-separated), where the web app is
    # served from another origin than they are (Knative: each function has its own URL).
    cors_origins: str = ""
    # `parkshare web`: the built app, and the config.json served beside it instead of its own.
    web_dist: Path | None = None
    web_config: Path | None = None

    @property
    def app_url(self) -> str:
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    @property
    def mail_transport(self) -> Literal["smtp", "ses"] | None:
        if self.smtp_url is not None:
            return "smtp"
        return "ses" if self.ses_region else None

    @property
    def calendar_base(self) -> str:
        return (self.calendar_url or f"{self.app_url}/fn/calendar").rstrip("/")

    @property
    def sso_redirect_uri(self) -> str:
        return self.sso_callback_url or f"{self.app_url}/fn/auth/sso/callback"

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**from_environment(os.environ), **values})


def environment_names(name: str) -> list[str]:
    """The environment variables a field is read from, in order of precedence."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [ENV_PREFIX + name.upper()]


def from_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """Each field's value from the first of its names set in `environ`, ignoring case, keyed
    as pydantic-settings keys it (so that errors name the same): by its first environment
    name where it has names of its own, else by the field's name."""
    env = {key.lower(): value for key, value in environ.items()}
    values: dict[str, str] = {}
    for name, field in Settings.model_fields.items():
        names = environment_names(name)
        for candidate in names:
            if candidate.lower() in env:
                values[names[0] if field.validation_alias else name] = env[candidate.lower()]
                break
    return values


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
