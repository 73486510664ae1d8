"""A fake Telegram Bot API server for tests and the local sandbox.

:class:`FakeTelegramServer` serves the Bot API over HTTP for a bot under test and is also the
simulated world tests drive (:class:`World`: users, chats, messages, updates). The modules:
``types`` (JSON shapes and value types), ``html`` (text rules and limits), ``updates`` (the
update queue), ``world``, ``methods`` (the Bot API methods), ``faults`` (error and delay
injection), ``http`` (routes and parameter decoding) and ``server``.
"""

from fake_telegram.methods import BotApi
from fake_telegram.other_updates import forward_origin
from fake_telegram.server import FakeTelegramServer
from fake_telegram.types import (
    DEFAULT_BOT_USERNAME,
    DEFAULT_TOKEN,
    ApiError,
    BotMessage,
    CallbackAnswer,
    FakeUser,
    RecordedRequest,
)
from fake_telegram.world import World

__all__ = [
    "DEFAULT_BOT_USERNAME",
    "DEFAULT_TOKEN",
    "ApiError",
    "BotApi",
    "BotMessage",
    "CallbackAnswer",
    "FakeTelegramServer",
    "FakeUser",
    "RecordedRequest",
    "World",
    "forward_origin",
]
