"""Logging set-up that keeps the bot token and the webhook secret out of every log line."""

from __future__ import annotations

import logging


class RedactToken(logging.Filter):
    """Replaces each secret (the token, the webhook secret) wherever it appears."""

    def __init__(self, secret: str | None, *more: str | None, label: str = "<token>") -> None:
        super().__init__()
        self.secrets = [s for s in (secret, *more) if s]
        self.label = label

    @property
    def secret(self) -> str:
        return self.secrets[0] if self.secrets else ""

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, self.label if secret == self.secret else "<secret>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg = self._redact(message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in self.secrets):
                record.exc_text = self._redact(text)
        return True


def configure_logging(level: str, secret: str | None = None, *more: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if secret or any(more):
        handler.addFilter(RedactToken(secret, *more))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # aiosqlite logs every statement at DEBUG: noise that drowns the bot's own messages.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
