"""Babel gettext catalogs, the current locale in a ContextVar, and locale-aware dates.

Catalogs are read from the ``.po`` files at start, so a fresh clone needs no compile step.
Message ids are English; Vietnamese is the reference translation.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from functools import cache
from pathlib import Path

from babel import Locale
from babel import numbers as babel_numbers
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED_LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"

_current_locale: ContextVar[str] = ContextVar("cadrebot_locale", default=DEFAULT_LOCALE)
_default_locale = DEFAULT_LOCALE
_timezone: tzinfo | None = None

# Patterns people write by hand: "25/03/2022" and "19:30, 25/03/2022".
_SHORT_DATE = {"vi": "dd/MM/yyyy", "en": "dd/MM/yyyy"}
_SHORT_DATETIME = {"vi": "HH:mm, dd/MM/yyyy", "en": "HH:mm, dd/MM/yyyy"}
_LONG_DATE = {"vi": "'ngày' d 'tháng' M 'năm' y", "en": "d MMMM y"}


def configure(default_locale: str, timezone: tzinfo) -> None:
    """Set the fallback locale and the time zone used to show times."""
    global _default_locale, _timezone
    _default_locale = default_locale if default_locale in SUPPORTED_LOCALES else DEFAULT_LOCALE
    _timezone = timezone


def default_locale() -> str:
    return _default_locale


@cache
def _translations(locale: str) -> Translations:
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return Translations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def resolve_locale(stored: str | None, telegram_language_code: str | None) -> str:
    """The stored preference, else Telegram's language, else the configured default."""
    if stored in SUPPORTED_LOCALES:
        return stored
    if telegram_language_code:
        base = telegram_language_code.split("-")[0].lower()
        if base in SUPPORTED_LOCALES:
            return base
    return _default_locale


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in SUPPORTED_LOCALES else _default_locale)


def current_locale() -> str:
    return _current_locale.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Temporarily speak another locale, e.g. to notify someone in their own language."""
    token = _current_locale.set(locale if locale in SUPPORTED_LOCALES else _default_locale)
    try:
        yield _current_locale.get()
    finally:
        _current_locale.reset(token)


def gettext(message: str) -> str:
    return _translations(_current_locale.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(_current_locale.get()).ungettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, where it is shown."""
    return message


_ = gettext


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not shown")
    return moment.astimezone(_timezone) if _timezone else moment


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in the configured time zone."""
    return _local(moment).date()


def format_time(moment: datetime) -> str:
    """``19:30`` in the configured time zone."""
    return _local(moment).strftime("%H:%M")


def format_date(value: date | datetime, style: str = "short") -> str:
    """``25/03/2022`` (short) or ``ngày 25 tháng 3 năm 2022`` (long)."""
    if isinstance(value, datetime):
        value = _local(value).date()
    locale = current_locale()
    pattern = (_LONG_DATE if style == "long" else _SHORT_DATE)[locale]
    return babel_format_date(value, pattern, locale=Locale.parse(locale))


def format_datetime(value: datetime) -> str:
    """``19:30, 25/03/2022`` in the configured time zone."""
    locale = current_locale()
    return babel_format_datetime(
        _local(value), _SHORT_DATETIME[locale], tzinfo=_timezone, locale=Locale.parse(locale)
    )


def format_number(value: int) -> str:
    """A count as people write it in the current locale (1.234 in Vietnamese)."""
    return babel_numbers.format_decimal(value, locale=current_locale())


def format_percent(value: float | None) -> str:
    """A share (0.0-1.0) as a whole percentage in the current locale ("85%"); "—" when there
    is nothing to count."""
    if value is None:
        return "—"
    return babel_numbers.format_percent(value, format="#,##0%", locale=current_locale())
