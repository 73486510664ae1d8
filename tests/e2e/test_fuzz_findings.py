"""The bugs the hostile-update fuzzer (tests/e2e/test_fuzz.py) found, one test each, so
they stay fixed whatever the fuzzer's seed."""

from __future__ import annotations

import json
import sqlite3

from handlers.calendar.days import DRAFT_KEY
from tests.e2e.conftest import Harness
from tests.e2e.test_robustness import GIANG, _setup


def _drop_working_data(h: Harness, user: int, key: str) -> None:
    """The step's working data lost while the conversation state stays (the working data
    is cheap to lose by design: docs/decisions.md, "Persistence")."""
    with sqlite3.connect(h.db_path) as conn:
        (data,) = conn.execute(
            "SELECT data FROM ptb_user_data WHERE user_id = ?", (user,)
        ).fetchone()
        kept = {k: v for k, v in json.loads(data).items() if k != key}
        conn.execute(
            "UPDATE ptb_user_data SET data = ? WHERE user_id = ?", (json.dumps(kept), user)
        )


async def test_skip_in_calendar_add_is_answered_when_the_working_data_is_gone(org: Harness) -> None:
    # Found with seed 7: "Bỏ qua" (Skip) under /calendar add's English-name question, pressed
    # after the step's data was lost, got the expiry notice but the button kept spinning.
    h = org
    await _setup(h)
    code, _, err = await h.cli(
        "role", "grant", "--member", "DV007", "--role", "propaganda", "--unit", "DU-NK"
    )
    assert code == 0, err
    await h.say(GIANG, "/calendar add")
    asked = await h.say(GIANG, "Ngày truyền thống phường Ninh Kiều")
    assert "Bỏ qua" in [text for text, _ in asked.buttons], asked
    await h.stop()
    _drop_working_data(h, GIANG, DRAFT_KEY)
    await h.start()
    query = h.server.press_button(GIANG, asked, button_text="Bỏ qua")
    await h.server.wait_callback_answer(query, timeout=5)
    told = await h.next_new(GIANG)
    assert "Bước này đã hết hiệu lực" in told.text, told.text
