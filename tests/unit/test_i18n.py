"""bot/i18n.py and locales/: every message has its Vietnamese translation, the template is up
to date with the code, and locale choice and date formats behave."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import (
    current_locale,
    format_date,
    format_datetime,
    gettext,
    resolve_locale,
    set_locale,
    use_locale,
)

PROJECT = Path(__file__).resolve().parents[2]
LOCALES = PROJECT / "locales"
PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def _code_messages() -> dict[str, list[str]]:
    """msgid → where it is used, extracted in-process like `make i18n-extract`."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[str, list[str]] = {}
    for folder in ("bot", "handlers"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            PROJECT / folder, method_map=[("**.py", "python")], keywords=keywords
        ):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, []).append(f"{folder}/{filename}:{lineno}")
    return found


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.fixture(scope="module")
def code_messages() -> dict[str, list[str]]:
    messages = _code_messages()
    assert len(messages) > 50, "extraction found too few messages: is the keyword list right?"
    return messages


@pytest.fixture(scope="module")
def vi_catalog() -> Catalog:
    return _catalog(LOCALES / "vi" / "LC_MESSAGES" / "messages.po", "vi")


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_message_has_a_vietnamese_translation(code_messages, vi_catalog) -> None:
    problems = []
    for msgid, where in sorted(code_messages.items()):
        entry = vi_catalog.get(msgid)
        if entry is None:
            problems.append(f"missing in vi/messages.po: {msgid!r} ({where[0]})")
        elif entry.fuzzy:
            problems.append(f"fuzzy in vi/messages.po: {msgid!r}")
        else:
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            if not all(s and s.strip() for s in strings):
                problems.append(f"empty in vi/messages.po: {msgid!r} ({where[0]})")
    assert not problems, "\n".join(problems)


def test_vietnamese_placeholders_match_the_msgid(code_messages, vi_catalog) -> None:
    problems = []
    for msgid in code_messages:
        entry = vi_catalog.get(msgid)
        if entry is None or not entry.string:
            continue  # reported by the test above
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        for translation in strings:
            if _placeholders(translation) != _placeholders(msgid):
                problems.append(
                    f"{msgid!r}: {sorted(_placeholders(msgid))} != "
                    f"{sorted(_placeholders(translation))} in {translation!r}"
                )
    assert not problems, "\n".join(problems)


def test_messages_pot_is_up_to_date_with_the_code(code_messages) -> None:
    template = {m.id for m in _catalog(LOCALES / "messages.pot") if m.id}
    code = set(code_messages)
    new_in_code = sorted(code - template)
    stale_in_pot = sorted(template - code)
    assert not new_in_code, "run `make i18n-update`: messages.pot lacks these"
    assert not stale_in_pot, "run `make i18n-update`: messages.pot has messages no code uses"


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_catalogs_match_the_template(locale: str) -> None:
    template = {m.id for m in _catalog(LOCALES / "messages.pot") if m.id}
    catalog = _catalog(LOCALES / locale / "LC_MESSAGES" / "messages.po", locale)
    active = {m.id for m in catalog if m.id}
    assert active == template
    assert not list(catalog.obsolete)


def test_placeholder_pattern() -> None:
    assert _placeholders("Line {line}: {problem}") == {"line", "problem"}
    assert _placeholders("{{literal}} and {x}") == {"x"}


def test_every_message_really_changes_in_vietnamese(code_messages) -> None:
    """Catches a translation that was compiled away (fuzzy) or a catalog that fails to load."""
    untranslated = []
    with use_locale("vi"):
        for msgid in code_messages:
            # Identical strings are allowed only when they carry no words once placeholders
            # and tags are removed, e.g. "<b>{name}</b> — {unit}, {date}".
            words = re.sub(r"\{[^{}]*\}|<[^<>]+>", "", msgid)
            if gettext(msgid) == msgid and re.search(r"[A-Za-z]", words):
                untranslated.append(msgid)
    assert untranslated == []


# resolve_locale --------------------------------------------------------------------------


def test_resolve_locale_precedence() -> None:
    i18n.configure("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    assert resolve_locale("en", "vi") == "en"  # stored wins
    assert resolve_locale("vi", "en-US") == "vi"
    assert resolve_locale(None, "en-US") == "en"  # then Telegram's language
    assert resolve_locale(None, "EN") == "en"
    assert resolve_locale(None, "vi") == "vi"
    assert resolve_locale("fr", "en-GB") == "en"  # an unsupported stored value is skipped
    assert resolve_locale(None, "de-DE") == "vi"  # then the default
    assert resolve_locale(None, None) == "vi"
    i18n.configure("en", ZoneInfo("Asia/Ho_Chi_Minh"))
    assert resolve_locale(None, None) == "en"
    assert resolve_locale(None, "fr") == "en"
    i18n.configure("xx", ZoneInfo("Asia/Ho_Chi_Minh"))
    assert resolve_locale(None, None) == "vi"  # a bad default falls back to vi


# Locale switching -------------------------------------------------------------------------


def test_use_locale_switches_and_restores() -> None:
    set_locale("vi")
    assert gettext("Approve") == "Duyệt"
    with use_locale("en") as active:
        assert active == "en" and current_locale() == "en"
        assert gettext("Approve") == "Approve"
        with use_locale("vi"):
            assert gettext("Approve") == "Duyệt"
        assert current_locale() == "en"
    assert current_locale() == "vi"
    with use_locale("xx") as active:
        assert active == i18n.default_locale()
    with pytest.raises(KeyError), use_locale("en"):
        raise KeyError("boom")
    assert current_locale() == "vi"  # restored after an exception too


def test_set_locale_ignores_unsupported() -> None:
    i18n.configure("vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    set_locale("en")
    assert current_locale() == "en"
    set_locale("klingon")
    assert current_locale() == "vi"


def test_unknown_message_falls_back_to_the_msgid() -> None:
    with use_locale("vi"):
        assert gettext("No such message, {x}") == "No such message, {x}"


# Dates ------------------------------------------------------------------------------------


@pytest.fixture
def in_vietnam() -> None:
    i18n.configure("vi", ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.mark.usefixtures("in_vietnam")
def test_format_date() -> None:
    day = date(2022, 3, 25)
    for locale in ("vi", "en"):
        with use_locale(locale):
            assert format_date(day) == "25/03/2022"
    with use_locale("vi"):
        assert format_date(day, "long") == "ngày 25 tháng 3 năm 2022"
        assert format_date(date(2022, 12, 2), "long") == "ngày 2 tháng 12 năm 2022"
    with use_locale("en"):
        assert format_date(day, "long") == "25 March 2022"


@pytest.mark.usefixtures("in_vietnam")
def test_format_datetime_in_the_configured_zone() -> None:
    moment = datetime(2022, 3, 25, 12, 30, tzinfo=UTC)
    with use_locale("vi"):
        assert format_datetime(moment) == "19:30, 25/03/2022"
    with use_locale("en"):
        assert format_datetime(moment) == "19:30, 25/03/2022"
    # Late evening UTC is already the next day in Vietnam.
    late = datetime(2022, 3, 24, 18, 0, tzinfo=UTC)
    assert format_datetime(late) == "01:00, 25/03/2022"
    assert format_date(late) == "25/03/2022"
    bangkok = datetime(2022, 3, 25, 19, 30, tzinfo=ZoneInfo("Asia/Bangkok"))
    assert format_datetime(bangkok) == "19:30, 25/03/2022"


@pytest.mark.usefixtures("in_vietnam")
def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2022, 3, 25, 12, 30)
    with pytest.raises(ValueError):
        format_datetime(naive)
    with pytest.raises(ValueError):
        format_date(naive)
