"""Good-deed nominations ("người tốt, việc tốt"): /nominate for every member (a guided
conversation), /nominations for the propaganda board (review: approve, reject with a reason,
make a story draft) and for members (their own). Telegram only: the rules live in the
nomination service."""

from __future__ import annotations

from telegram.ext import Application

from handlers.nominations import nominate, review


def register(application: Application) -> None:
    application.add_handler(nominate.conversation(application))
    application.add_handler(review.reject_conversation(application))
    for handler in review.handlers():
        application.add_handler(handler)
