"""Errors a person can act on: each carries a translatable message and its parameters."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from bot.i18n import gettext

ECHO_LIMIT = 100  # characters of a parameter shown in an error message


class Term(str):
    """A parameter that is itself a message id, translated when the error is shown."""


class UserFacingError(Exception):
    """Raised by services; handlers and the CLI show ``render()`` in the user's language."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params: Mapping[str, object] = params

    def render(self) -> str:
        """Plain text: for the CLI and for button alerts."""
        return gettext(self.message).format(**self._params(html=False))

    def render_html(self) -> str:
        """For a message sent in HTML parse mode: the parameters, often the person's own
        text repeated back, are escaped."""
        return gettext(self.message).format(**self._params(html=True))

    def _params(self, *, html: bool) -> dict[str, object]:
        params: dict[str, object] = {}
        for key, value in self.params.items():
            if isinstance(value, Term):
                value = gettext(value)
            elif isinstance(value, str):
                if len(value) > ECHO_LIMIT:  # a whole pasted page is not worth repeating
                    value = value[: ECHO_LIMIT - 1] + "…"
                if html:
                    value = escape(value, quote=False)
            params[key] = value
        return params


class NotFound(UserFacingError):
    pass


class AccessDenied(UserFacingError):
    pass


class InvalidInput(UserFacingError):
    pass


class Conflict(UserFacingError):
    """Someone else changed the thing first, or it is already in that state."""
