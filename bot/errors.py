"""Errors a person can act on: each carries a translatable message and its parameters."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
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
    """A refusal. Each one raised while an update is handled is noted in that update's
    :class:`DenialLog`, so that a refusal no service audited is audited once at the end of
    the update (handlers/gate.py)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message, **params)
        log = _DENIALS.get()
        if log is not None:
            log.raised.append(self)


@dataclass
class DenialLog:
    """The refusals raised while one update is handled, and whether one was audited."""

    raised: list[AccessDenied] = field(default_factory=list)
    audited: bool = False

    def unaudited(self) -> list[AccessDenied]:
        return [] if self.audited else self.raised


_DENIALS: ContextVar[DenialLog | None] = ContextVar("denials", default=None)


def start_denial_log() -> DenialLog:
    """A new log for the update being handled (its handlers run in this context)."""
    log = DenialLog()
    _DENIALS.set(log)
    return log


def current_denial_log() -> DenialLog | None:
    return _DENIALS.get()


def note_denial_audited() -> None:
    """A service wrote the refusal to the audit trail itself."""
    log = _DENIALS.get()
    if log is not None:
        log.audited = True


def denial_settled(error: AccessDenied) -> None:
    """A refusal caught and turned into something else (nobody was refused): not audited."""
    log = _DENIALS.get()
    if log is not None and error in log.raised:
        log.raised.remove(error)


class InvalidInput(UserFacingError):
    pass


class Conflict(UserFacingError):
    """Someone else changed the thing first, or it is already in that state."""
