"""A fake Telegram Bot API server for tests and the local sandbox."""

from fake_telegram.server import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    BotApiState,
    BotMessage,
    CallbackAnswer,
    FakeTelegramServer,
    FakeUser,
    RecordedRequest,
)

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "BotApiState",
    "BotMessage",
    "CallbackAnswer",
    "FakeTelegramServer",
    "FakeUser",
    "RecordedRequest",
]
