"""bot/config.py: defaults, one-line errors naming the key, and the token kept secret."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings, load_settings

pytestmark = pytest.mark.usefixtures("clean_env")

PROJECT = Path(__file__).resolve().parents[2]
SECRET_MARK = "SuperSecretXyz"


def test_defaults() -> None:
    settings = load_settings(env_file=None)
    assert settings.token is None
    assert settings.db_path == Path("data/cadrebot.sqlite3")
    assert settings.timezone == "Asia/Ho_Chi_Minh"
    assert settings.tz == ZoneInfo("Asia/Ho_Chi_Minh")
    assert settings.default_locale == "vi"
    assert settings.admin_ids == frozenset()
    assert settings.api_base_url is None
    assert settings.webhook_url is None and not settings.use_webhook
    assert settings.webhook_listen == "127.0.0.1"
    assert settings.webhook_port == 8443
    assert settings.webhook_secret is None
    assert settings.max_concurrent_updates == 64
    assert settings.log_level == "INFO"
    assert settings.locality is None  # documents take the root unit's locality


def test_shared_settings_fixture(settings: Settings, db_path: Path) -> None:
    assert settings.require_token() == "123456:TEST-TOKEN"
    assert settings.db_path == db_path
    assert settings.admin_ids == frozenset({900001})


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", " 123456:ABC-def_GHI ")
    monkeypatch.setenv("CADREBOT_ADMIN_IDS", " 11, 22 ,33,")
    monkeypatch.setenv("CADREBOT_LOG_LEVEL", "debug")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://localhost:8081/")
    monkeypatch.setenv("CADREBOT_WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.setenv("CADREBOT_WEBHOOK_SECRET", "abc_DEF-123")
    monkeypatch.setenv("CADREBOT_TIMEZONE", "Asia/Bangkok")
    monkeypatch.setenv("CADREBOT_DEFAULT_LOCALE", "en")
    monkeypatch.setenv("CADREBOT_LOCALITY", "  Cần   Thơ ")
    settings = load_settings(env_file=None)
    assert settings.locality == "Cần Thơ"
    assert settings.require_token() == "123456:ABC-def_GHI"
    assert settings.admin_ids == frozenset({11, 22, 33})
    assert settings.log_level == "DEBUG"
    assert settings.api_base_url == "http://localhost:8081"
    assert settings.use_webhook
    assert settings.webhook_secret is not None
    assert settings.webhook_secret.get_secret_value() == "abc_DEF-123"
    assert settings.tz == ZoneInfo("Asia/Bangkok")
    assert settings.default_locale == "en"


def test_env_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "TELEGRAM_BOT_TOKEN=42:from-file\nCADREBOT_DB=file.sqlite3\nCADREBOT_LOG_LEVEL=ERROR\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CADREBOT_LOG_LEVEL", "WARNING")
    settings = load_settings(env_file=env_file)
    assert settings.require_token() == "42:from-file"
    assert settings.db_path == Path("file.sqlite3")
    assert settings.log_level == "WARNING"


def test_env_example_loads_with_defaults(tmp_path: Path) -> None:
    """The documented template, copied as-is, is valid (blank keys count as unset)."""
    example = (PROJECT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(example, encoding="utf-8")
    settings = load_settings(env_file=tmp_path / ".env")
    assert settings.token is None
    assert settings.admin_ids == frozenset()
    assert settings.api_base_url is None and settings.webhook_url is None
    assert settings.webhook_secret is None
    assert settings.db_path == Path("data/cadrebot.sqlite3")
    with pytest.raises(ConfigError) as caught:
        settings.require_token()
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("TELEGRAM_BOT_TOKEN", "123456"),
        ("CADREBOT_TIMEZONE", "Mars/Olympus_Mons"),
        ("CADREBOT_DEFAULT_LOCALE", "fr"),
        ("CADREBOT_ADMIN_IDS", "@bich,12"),
        ("CADREBOT_ADMIN_IDS", "12;13"),
        ("TELEGRAM_API_BASE_URL", "localhost:8081"),
        ("CADREBOT_WEBHOOK_URL", "ftp://bot.example.org"),
        ("CADREBOT_WEBHOOK_PORT", "0"),
        ("CADREBOT_WEBHOOK_PORT", "70000"),
        ("CADREBOT_WEBHOOK_PORT", "https"),
        ("CADREBOT_WEBHOOK_SECRET", "has spaces!"),
        ("CADREBOT_WEBHOOK_SECRET", "x" * 257),
        ("CADREBOT_MAX_CONCURRENT_UPDATES", "0"),
        ("CADREBOT_MAX_CONCURRENT_UPDATES", "5000"),
        ("CADREBOT_LOG_LEVEL", "TRACE"),
        ("CADREBOT_LOCALITY", "x" * 101),
        ("CADREBOT_LOCALITY", "Cần\x07Thơ"),
        ("CADREBOT_QUIET_HOURS", "21h-7h"),
        ("CADREBOT_QUIET_HOURS", "25:00-07:00"),
        ("CADREBOT_QUIET_HOURS", "21:00-07:60"),
        ("CADREBOT_OUTBOX_KEEP_DAYS", "7"),
    ],
)
def test_invalid_value_names_its_key(monkeypatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert caught.value.key == key
    assert key in message
    assert message.startswith(f"Configuration error: {key} is invalid; expected ")
    assert "\n" not in message


@pytest.mark.parametrize(
    "token",
    [
        f"123456:{SECRET_MARK}!",  # a forbidden character
        f"{SECRET_MARK}:123456",  # id not numeric
        f"123456 :{SECRET_MARK}",
    ],
)
def test_token_value_never_appears_in_the_error(monkeypatch, tmp_path: Path, token: str) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None)
    assert SECRET_MARK not in str(caught.value)
    assert SECRET_MARK not in repr(caught.value)
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value)
    # Not through a keyword argument or a .env file either.
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=None, TELEGRAM_BOT_TOKEN=token)
    assert SECRET_MARK not in str(caught.value)
    (tmp_path / ".env").write_text(f"TELEGRAM_BOT_TOKEN={token}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=tmp_path / ".env")
    assert SECRET_MARK not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_valid_token_is_not_shown_by_the_settings(monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", f"123456:{SECRET_MARK}")
    settings = load_settings(env_file=None)
    assert SECRET_MARK not in repr(settings)
    assert SECRET_MARK not in str(settings)
    assert settings.require_token() == f"123456:{SECRET_MARK}"


def test_require_token_without_a_token() -> None:
    settings = load_settings(env_file=None)
    with pytest.raises(ConfigError) as caught:
        settings.require_token()
    assert caught.value.key == "TELEGRAM_BOT_TOKEN"
    assert str(caught.value).startswith("Configuration error: TELEGRAM_BOT_TOKEN is not set")


@pytest.mark.parametrize(
    "key",
    [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "CADREBOT_WEBHOOK_URL",
        "CADREBOT_WEBHOOK_SECRET",
        "CADREBOT_LOCALITY",
    ],
)
@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_optional_values_count_as_unset(monkeypatch, key: str, blank: str) -> None:
    monkeypatch.setenv(key, blank)
    settings = load_settings(env_file=None)
    field = next(name for name, info in Settings.model_fields.items() if info.alias == key)
    assert getattr(settings, field) is None
    assert not settings.use_webhook


def test_blank_admin_ids_are_none(monkeypatch) -> None:
    monkeypatch.setenv("CADREBOT_ADMIN_IDS", "")
    assert load_settings(env_file=None).admin_ids == frozenset()
    monkeypatch.setenv("CADREBOT_ADMIN_IDS", " , ")
    assert load_settings(env_file=None).admin_ids == frozenset()


@pytest.mark.parametrize(
    "key",
    [
        "CADREBOT_DB",
        "CADREBOT_WEBHOOK_LISTEN",
        "CADREBOT_TIMEZONE",
        "CADREBOT_DEFAULT_LOCALE",
        "CADREBOT_WEBHOOK_PORT",
        "CADREBOT_MAX_CONCURRENT_UPDATES",
        "CADREBOT_LOG_LEVEL",
    ],
)
@pytest.mark.parametrize("source", ["environment", "dotenv"])
def test_blank_values_with_a_default_count_as_unset(
    monkeypatch, tmp_path: Path, key: str, source: str
) -> None:
    """A blank CADREBOT_DB must not become Path('.'), nor a blank listen address ''."""
    defaults = load_settings(env_file=None)
    env_file = None
    if source == "environment":
        monkeypatch.setenv(key, "")
    else:
        env_file = tmp_path / ".env"
        env_file.write_text(f"{key}=\n", encoding="utf-8")
    settings = load_settings(env_file=env_file)
    field = next(name for name, info in Settings.model_fields.items() if info.alias == key)
    assert getattr(settings, field) == getattr(defaults, field)


def test_settings_are_frozen() -> None:
    settings = load_settings(env_file=None)
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_quiet_hours_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(env_file=None).quiet == (time(21, 0), time(7, 0))
    monkeypatch.setenv("CADREBOT_QUIET_HOURS", " 22:30 - 6:00 ")
    assert load_settings(env_file=None).quiet == (time(22, 30), time(6, 0))
