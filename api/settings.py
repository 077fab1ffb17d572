"""Settings from the environment (prefix SALESLEDGER_); none are needed for the embedded mode."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.scoring import DEFAULT_RULES, ScoringRules
from store.recorders import (
    FUNCTION_RECORDER_TOPIC,
    ORDERED_RECORDER_TOPIC,
    SQLITE_RECORDER_TOPIC,
)


class Settings(BaseSettings):
    """With no database URL, everything runs embedded: SQLite files under data_dir."""

    model_config = SettingsConfigDict(env_prefix="SALESLEDGER_")

    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, description="postgresql://user:password@host:port/dbname selects PostgreSQL"
    )
    kafka_bootstrap: str | None = None
    topic_prefix: str = Field(default="salesledger", pattern=r"^[A-Za-z0-9._-]{1,100}$")
    kafka_partitions: int = Field(default=3, ge=1, le=1000)
    aggregate_cache: int = Field(
        default=10_000,
        ge=0,
        description="aggregates kept in memory between commands (0: none); a command decided "
        "on a copy another process has since changed is decided again, and queries read any "
        "newer events first, so several API processes stay correct",
    )
    store_db_functions: bool = Field(
        default=False,
        description="PostgreSQL: insert events through eventsourcing's own database function, "
        "which does not take the table lock, so ids can commit out of order (the relay's gap "
        "handling covers that); the default function takes the lock and keeps them in order",
    )
    relay_gap_timeout: float = Field(
        default=2.0, ge=0, description="seconds the relay waits for a gap in the log to fill"
    )
    relay_linger: float = Field(
        default=0.025,
        ge=0,
        description="seconds the relay lets new events gather after a batch that caught up",
    )
    currency: str = "CNY"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="json: every log line one JSON object (time, level, logger, message, and a "
        "consumer's fields: read model, partition, offset, lag)",
    )
    claim_limit: int = Field(
        default=50, ge=1, description="leads a rep may hold until an admin writes a claim policy"
    )
    database_connect_timeout: int = Field(
        default=2,
        ge=1,
        le=300,
        description="PostgreSQL: seconds the store waits for a connection (the server away: "
        "the API answers 503 after a few such waits)",
    )
    oidc_issuer: str | None = Field(
        default=None, description="accept bearer JWTs this identity provider issued (its iss)"
    )
    oidc_jwks_url: str | None = Field(default=None, description="the issuer's JWKS (its keys)")
    oidc_audience: str | None = Field(default=None, description="the aud the JWTs must carry")
    oidc_user_claim: str = Field(
        default="preferred_username", description="the claim naming the SalesLedger user"
    )
    token_days: int = Field(
        default=90, ge=1, le=3650, description="days a bearer token is valid from its issue"
    )
    sla_hours: str = Field(
        default="high=24,medium=48",
        pattern=r"^((high|medium|low)=\d{1,4})(,(high|medium|low)=\d{1,4})*$|^$",
        description="hours within which a lead of each tier gets its first contact, e.g. "
        "high=24,medium=48 (a tier not named has no SLA); the ledger counts past first "
        "contacts by it, so rebuild it after a change",
    )
    report_slots: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="reports one API process answers at once (others wait their turn); "
        "default 1 on SQLite, whose queries run in the process, and on a PostgreSQL of this "
        "host (loopback, localhost or a socket), whose queries run on the same cores; 4 on a "
        "PostgreSQL of another host, which works while the process serves others",
    )
    scheduler_interval: float = Field(
        default=60.0,
        ge=0,
        le=86_400,
        description="seconds between the scheduler's passes; in the embedded mode `serve` runs "
        "the scheduler itself unless this is 0",
    )
    idempotency_timeout: float = Field(
        default=60.0,
        gt=0,
        le=86_400,
        description="seconds after which an unfinished Idempotency-Key claim counts as "
        "abandoned (its API process died): a retry then answers from the command's stored "
        "events, or runs the command. Keep it above the longest a command may take",
    )
    pii_key: str | None = Field(
        default=None, description="key for the keyed hash of contact details in published events"
    )

    def scoring_rules(self) -> ScoringRules:
        """The BANT scoring rules, with this deployment's first-contact SLAs."""
        pairs = [part.split("=") for part in self.sla_hours.split(",") if part]
        return replace(DEFAULT_RULES, first_contact_sla_hours=tuple((t, int(h)) for t, h in pairs))

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's persistence settings for this deployment."""
        cache = (
            # Not fast-forwarded: commands trust the cache and are decided again when their
            # save finds a newer version (domain.application.command); queries catch up.
            {
                "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache),
                "AGGREGATE_CACHE_FASTFORWARD": "n",
            }
            if self.aggregate_cache
            else {}
        )
        if self.database_url is None:
            return cache | {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.data_dir / "events.sqlite"),
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER_TOPIC,
            }
        url = urlparse(self.database_url)
        return (
            cache
            | {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/"),
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                # Both modes save in one round trip through a database function.
                "POSTGRES_ENABLE_DB_FUNCTIONS": "y",
                # a command waits this long for a connection while the server is away (then
                # 503): the library's default of 30 s, retried, held requests for minutes
                "POSTGRES_CONNECT_TIMEOUT": str(self.database_connect_timeout),
            }
            | {
                "APPLICATION_RECORDER_TOPIC": FUNCTION_RECORDER_TOPIC
                if self.store_db_functions
                else ORDERED_RECORDER_TOPIC
            }
        )
