"""Errors a person can act on: each carries a translatable message and its parameters."""

from __future__ import annotations

from collections.abc import Mapping

from bot.i18n import gettext


class Term(str):
    """A parameter that is itself a message id, translated when the error is shown."""


class UserFacingError(Exception):
    """Raised by services; handlers and the CLI show ``render()`` in the user's language."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params: Mapping[str, object] = params

    def render(self) -> str:
        params = {
            key: gettext(value) if isinstance(value, Term) else value
            for key, value in self.params.items()
        }
        return gettext(self.message).format(**params)


class NotFound(UserFacingError):
    pass


class AccessDenied(UserFacingError):
    pass


class InvalidInput(UserFacingError):
    pass


class Conflict(UserFacingError):
    """Someone else changed the thing first, or it is already in that state."""
