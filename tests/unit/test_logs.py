"""bot/logs.py: the token never reaches a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import RedactToken, configure_logging

TOKEN = "123456:AAE-SecretTokenValue_xyz"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactToken(TOKEN))
    logger = logging.getLogger("cadrebot.test.redact")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.handlers[:] = []


def test_token_in_the_message_is_redacted(captured) -> None:
    logger, stream = captured
    logger.info(f"POST https://api.telegram.org/bot{TOKEN}/getMe")
    logger.info("calling %s with %d retries", f"/bot{TOKEN}/sendMessage", 3)
    logger.info("nothing secret: %s", "Trần Thị Bích")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "POST https://api.telegram.org/bot<token>/getMe" in output
    assert "calling /bot<token>/sendMessage with 3 retries" in output
    assert "nothing secret: Trần Thị Bích" in output


def test_token_in_exception_text_is_redacted(captured) -> None:
    logger, stream = captured
    try:
        raise RuntimeError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getUpdates")
    except RuntimeError:
        logger.exception("polling failed")
    output = stream.getvalue()
    assert TOKEN not in output
    assert "bot<token>/getUpdates" in output
    assert "Traceback" in output and "polling failed" in output


def test_percent_signs_survive_redaction(captured) -> None:
    logger, stream = captured
    logger.warning("100%% of %s", f"bot{TOKEN}")
    assert stream.getvalue().strip() == "WARNING 100% of bot<token>"


def test_empty_secret_changes_nothing() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert RedactToken("").filter(record)
    assert record.getMessage() == "hello world"


def test_configure_logging_installs_the_filter(capsys) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    httpx_level = logging.getLogger("httpx").level
    try:
        configure_logging("INFO", secret=TOKEN)
        assert logging.getLogger("httpx").level == logging.WARNING
        logging.getLogger("cadrebot.test").info("url /bot%s/getMe", TOKEN)
        err = capsys.readouterr().err
        assert "url /bot<token>/getMe" in err and TOKEN not in err
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        logging.getLogger("httpx").setLevel(httpx_level)
