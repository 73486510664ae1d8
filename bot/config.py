"""Settings from the environment and ``.env``, validated; the token is held as a secret."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")

# The environment key behind each field, and what it expects, for one-line errors.
_EXPECTED = {
    "token": ("TELEGRAM_BOT_TOKEN", "the token from @BotFather, like 123456:ABC-def"),
    "db_path": ("CADREBOT_DB", "a file path"),
    "timezone": ("CADREBOT_TIMEZONE", "an IANA time zone such as Asia/Ho_Chi_Minh"),
    "default_locale": ("CADREBOT_DEFAULT_LOCALE", "vi or en"),
    "admin_ids": ("CADREBOT_ADMIN_IDS", "comma-separated numeric Telegram user ids"),
    "api_base_url": ("TELEGRAM_API_BASE_URL", "an http(s) URL such as http://localhost:8081"),
    "webhook_url": ("CADREBOT_WEBHOOK_URL", "the public https URL Telegram posts updates to"),
    "webhook_listen": ("CADREBOT_WEBHOOK_LISTEN", "an address to listen on, e.g. 0.0.0.0"),
    "webhook_port": ("CADREBOT_WEBHOOK_PORT", "a port number 1-65535"),
    "webhook_secret": (
        "CADREBOT_WEBHOOK_SECRET",
        "1-256 characters of A-Z, a-z, 0-9, _ and -",
    ),
    "max_concurrent_updates": ("CADREBOT_MAX_CONCURRENT_UPDATES", "a whole number 1-1024"),
    "log_level": ("CADREBOT_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR"),
    "locality": (
        "CADREBOT_LOCALITY",
        "the place printed on documents' date line, e.g. Cần Thơ (1-100 characters)",
    ),
    "send_rate": ("CADREBOT_SEND_RATE", "messages per second, a whole number 1-1000"),
    "paid_broadcast": ("CADREBOT_PAID_BROADCAST", "true or false"),
    "paid_broadcast_rate": (
        "CADREBOT_PAID_BROADCAST_RATE",
        "messages per second with paid broadcasts, a whole number 1-1000",
    ),
    "outbox_keep_days": ("CADREBOT_OUTBOX_KEEP_DAYS", "days, a whole number 15-3650"),
    "quiet_hours": (
        "CADREBOT_QUIET_HOURS",
        "local hours when reminders wait, like 21:00-07:00 (equal ends: none)",
    ),
    "file_builds": (
        "CADREBOT_FILE_BUILDS",
        "how many large files may be built at once, a whole number 1-8",
    ),
    "conversation_timeout_hours": (
        "CADREBOT_CONVERSATION_TIMEOUT_HOURS",
        "hours from 0.01 to 720 (0 turns the timeout off)",
    ),
}


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """``21:00-07:00`` → (21:00, 07:00); ValueError for anything else."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if match is None:
        raise ValueError("not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    return time(h1, m1), time(h2, m2)  # time() refuses 25:00 or 07:60 with a ValueError


class ConfigError(Exception):
    """A missing or invalid setting; ``str()`` is the one line shown to the operator."""

    def __init__(self, key: str, expected: str, problem: str = "is invalid") -> None:
        super().__init__(f"Configuration error: {key} {problem}; expected {expected}.")
        self.key = key


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # "KEY=" in .env (as in .env.example) means "use the default".
        env_ignore_empty=True,
    )

    token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    db_path: Path = Field(default=Path("data/cadrebot.sqlite3"), alias="CADREBOT_DB")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", alias="CADREBOT_TIMEZONE")
    default_locale: str = Field(default="vi", alias="CADREBOT_DEFAULT_LOCALE")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="CADREBOT_ADMIN_IDS"
    )
    api_base_url: str | None = Field(default=None, alias="TELEGRAM_API_BASE_URL")
    webhook_url: str | None = Field(default=None, alias="CADREBOT_WEBHOOK_URL")
    webhook_listen: str = Field(default="127.0.0.1", alias="CADREBOT_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, alias="CADREBOT_WEBHOOK_PORT")
    webhook_secret: SecretStr | None = Field(default=None, alias="CADREBOT_WEBHOOK_SECRET")
    max_concurrent_updates: int = Field(
        default=64, ge=1, le=1024, alias="CADREBOT_MAX_CONCURRENT_UPDATES"
    )
    log_level: str = Field(default="INFO", alias="CADREBOT_LOG_LEVEL")
    send_rate: int = Field(default=30, ge=1, le=1000, alias="CADREBOT_SEND_RATE")
    paid_broadcast: bool = Field(default=False, alias="CADREBOT_PAID_BROADCAST")
    paid_broadcast_rate: int = Field(
        default=1000, ge=1, le=1000, alias="CADREBOT_PAID_BROADCAST_RATE"
    )
    # Longer than the longest reminder grace (14 days), so a sent reminder's key outlives it.
    outbox_keep_days: int = Field(default=90, ge=15, le=3650, alias="CADREBOT_OUTBOX_KEEP_DAYS")
    quiet_hours: str = Field(default="21:00-07:00", alias="CADREBOT_QUIET_HOURS")
    conversation_timeout_hours: float = Field(
        default=24, ge=0, le=720, alias="CADREBOT_CONVERSATION_TIMEOUT_HOURS"
    )
    # Large files (a city's workbook, the review) built at once, each in a process of its
    # own (bot/builds); one more is told to wait. Two keep a core for the bot on 2 cores.
    file_builds: int = Field(default=2, ge=1, le=8, alias="CADREBOT_FILE_BUILDS")
    # The place on the date line of every document; unset: the root unit's locality.
    locality: str | None = Field(default=None, alias="CADREBOT_LOCALITY")

    @field_validator(
        "token", "webhook_secret", "api_base_url", "webhook_url", "locality", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value().strip()):
            raise ValueError("bad token shape")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_span(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value.strip()

    @property
    def quiet(self) -> tuple[time, time]:
        """The quiet hours as (start, end), local; the start is quiet, the end is not."""
        return parse_quiet_hours(self.quiet_hours)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in ("vi", "en"):
            raise ValueError("unsupported locale")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"\d+", part) for part in parts):
                raise ValueError("not numeric ids")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("api_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("not a URL")
        return value.rstrip("/") if value else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("bad secret")
        return value

    @field_validator("locality")
    @classmethod
    def _place_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if len(value) > 100 or any(not char.isprintable() for char in value):
            raise ValueError("bad place name")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("bad level")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def conversation_timeout(self) -> timedelta:
        """How long a guided conversation waits for an answer; zero: for ever."""
        return timedelta(hours=self.conversation_timeout_hours)

    @property
    def use_webhook(self) -> bool:
        return self.webhook_url is not None

    def require_token(self) -> str:
        if self.token is None:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN",
                "the token from @BotFather; copy .env.example to .env and set it there",
                problem="is not set",
            )
        return self.token.get_secret_value().strip()


def load_settings(env_file: str | Path | None = ".env", **overrides: object) -> Settings:
    """Read and validate the settings; any problem becomes one :class:`ConfigError` line."""
    try:
        return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        field = str(error["loc"][0]) if error["loc"] else ""
        key, expected = next(
            ((k, e) for name, (k, e) in _EXPECTED.items() if field in (name, k)),
            (field, "a valid value"),
        )
        # Never echo the value: it may be the token.
        raise ConfigError(key, expected) from None
