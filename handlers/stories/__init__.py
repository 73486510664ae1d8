"""The propaganda board's stories: /story for the board (writing, sending, figures) and
/stories, "read and learned" for members. Telegram only: the rules live in the story service.
"""

from __future__ import annotations

from telegram.ext import Application

from handlers.stories import reading


def register(application: Application) -> None:
    for handler in reading.handlers():
        application.add_handler(handler)
