"""Configuration from the environment (and an optional `.env` file)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/invest-kainuu.db"
    # Connections each process keeps open to PostgreSQL. Under load every busy request
    # thread holds one: with fewer, each request beyond them opened and closed a
    # connection of its own. Bursts may open 5 more, closed once returned; processes ×
    # (this + 5) must stay under the server's max_connections.
    database_pool_size: int = Field(default=10, ge=1, le=100)
    secret_key: SecretStr = SecretStr("development-only")
    # Former SECRET_KEY values (comma-separated), still accepted for decrypting stored
    # secrets until `invest-kainuu rotate-secrets` has re-encrypted them under the current.
    secret_key_previous: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    # Where uploaded files live: `local` (a folder, one machine), `database` (the
    # `stored_files` table: every instance shares it) or `s3` (an S3-compatible bucket).
    storage_backend: Literal["local", "database", "s3"] = "local"
    storage_dir: Path = Path("./var/storage")
    s3_bucket: str | None = None
    # Empty: Amazon S3 itself; otherwise the address of an S3-compatible service.
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    # Empty: boto3 finds credentials itself (environment, instance role).
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    # Prepended to every key, so one bucket can hold several installations.
    s3_prefix: str = ""

    # E-mail: with no SMTP host, queued messages are written to the log instead.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    # The sender; a bare address gets the region's portal name as its display name, and
    # with none, mail comes from noreply@ the region's public domain.
    mail_from: str | None = None
    # The regional investment team: where inquiries are sent, and the coordinator's
    # contact every site page on the portal shows.
    coordinator_email: str | None = None
    coordinator_name: str | None = None
    coordinator_phone: str | None = None

    # The region file `migrate` loads while no region is stored yet (the default is the
    # release's default region, app.regions.DEFAULT_REGION_FILE); `init-region FILE`
    # replaces it.
    region_file: Path | None = None

    # Reverse proxies (addresses or CIDR networks, comma-separated) whose
    # X-Forwarded-For and X-Forwarded-Proto are believed; from any other peer they are
    # ignored. Empty: the service is reached directly.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()

    session_max_age_hours: int = 12
    # Failed logins: this many within the window lock the account (or, with the higher
    # limit, the client address: offices share one) for the lockout time.
    login_max_failures: int = Field(default=5, ge=1)
    login_address_max_failures: int = Field(default=30, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    api_page_max: int = 200
    # A lead with no activity for this many days is listed as stale.
    stale_lead_days: int = 30

    # Site freshness: months since the last verification until a site is flagged to its
    # municipality, and until it leaves the public portal.
    site_stale_after_months: int = 12
    site_hidden_after_months: int = 18
    # Cluster agreements ending within this many days are flagged and reminded of.
    agreement_warning_days: int = 60

    # The public portal: how long browsers and proxies may reuse a page before asking
    # again (with its ETag), and the inquiry form's protection against bots and floods.
    portal_cache_seconds: int = 300
    # Rendered pages kept per process (keyed by ETag, so never stale), and how long a
    # process reuses the content version before asking the database again.
    portal_render_cache_entries: int = 512
    portal_version_ttl_seconds: float = 1.0
    portal_inquiry_min_seconds: int = 4
    portal_inquiry_max_age_hours: int = 24
    portal_inquiry_limit: int = 5
    portal_inquiry_window_minutes: int = 60

    # Syndication: outbound requests, and when a failing push target is switched off.
    syndication_timeout_seconds: float = 10.0
    # Private, loopback and link-local target addresses are refused in production
    # unless this is set (an intranet CMS, say); development and tests allow them.
    syndication_allow_private_addresses: bool = False
    syndication_disable_after_hours: int = 72
    syndication_secret_overlap_hours: int = 24
    syndication_worker_threads: int = 16
    syndication_per_target_concurrency: int = 2
    # A worker that alone serves a healthy target leases up to this many of its
    # deliveries per request slot and sends them one after another in the slot's thread,
    # so a busy target's next request need not wait for the next claim.
    syndication_chain_length: int = Field(default=4, ge=1)
    # The process that runs the syndication worker keeps its threads on one CPU (Linux):
    # on several, the interpreter lock's hand-overs between them cost it half its rate.
    syndication_worker_one_cpu: bool = True
    # Finished deliveries, their attempts and events are deleted after this many days.
    syndication_retention_days: int = 90

    # Retention (GDPR): sent and failed e-mail is deleted after this many days; a portal
    # inquiry that never became a real lead loses its message and its sender's data
    # after this many days without activity; a site package checked but never applied
    # is deleted (report and file) after this many days.
    mail_retention_days: int = Field(default=180, ge=1)
    inquiry_retention_days: int = Field(default=365, ge=1)
    package_upload_retention_days: int = Field(default=30, ge=1)
    # A CSV import checked on the staff pages but never applied (it may hold personal
    # data of contacts) is deleted after this many days.
    import_upload_retention_days: int = Field(default=7, ge=1)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Refused here, since uvicorn would silently compare a typo as a literal name.
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network"
                ) from None
        return value

    # Operating: log lines as text or one JSON object per line; who may read /metrics
    # (with a token: bearers of it; without: loopback clients only); whether /readyz
    # requires the scheduler and the syndication worker to have reported (production
    # deployments run them; a single development process does not), and how old their
    # last heartbeat may be.
    log_format: Literal["text", "json"] = "text"
    metrics_token: SecretStr | None = None
    readyz_require_workers: bool = False
    heartbeat_interval_seconds: int = Field(default=15, ge=1)
    heartbeat_stale_seconds: int = Field(default=120, ge=10)

    @model_validator(mode="after")
    def _refuse_placeholder_secret_outside_development(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (
            secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 32
        ):
            raise ValueError(
                "SECRET_KEY must be a random value of at least 32 characters outside "
                "development, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        self.base_url = self.base_url.rstrip("/")
        return self

    @model_validator(mode="after")
    def _check_storage_backend(self) -> Settings:
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        if self.storage_backend == "database" and self.is_sqlite:
            # Files are written on a connection of their own while the request's
            # transaction is open, and SQLite lets one connection write at a time.
            raise ValueError("STORAGE_BACKEND=database needs PostgreSQL; use local on SQLite")
        if self.s3_prefix and not self.s3_prefix.endswith("/"):
            self.s3_prefix += "/"
        return self

    @property
    def previous_secret_keys(self) -> tuple[str, ...]:
        raw = self.secret_key_previous.get_secret_value() if self.secret_key_previous else ""
        return tuple(k.strip() for k in raw.split(",") if k.strip())

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def syndication_private_allowed(self) -> bool:
        return self.syndication_allow_private_addresses or not self.is_production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
