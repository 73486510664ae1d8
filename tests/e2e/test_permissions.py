"""The permission matrix (issue 13): every command, subcommand and button, pressed or typed
by each persona, through the real Application against the fake Bot API server.

Each cell of :data:`TABLE` says what must happen:

* ALLOW  - the action goes ahead: the first thing the person is told is no refusal, and no
  denial is audited. It may still fail for another reason: a wrong step (the meeting is not
  a conference), nothing to show, or not found in the person's own scope (a commemorative day
  of another branch is "not in your calendar": out-of-scope things are not shown, rather
  than refused);
* DENY   - the plain refusal in Vietnamese, nothing changed in any table, one 'denied' audit
  row;
* HIDDEN - as DENY, and the command is not in the person's Telegram command menu either;
* STALE  - a step of a guided conversation pressed outside it: answered "no longer active",
  nothing changed. Who may reach the step is the row of the command that opens it.

Every cell starts from the same database: what an allowed action wrote is put back
afterwards (and any step it opened is cancelled). A command or button missing from the
table fails the test, so a new one must be given its row here.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import time
from pathlib import Path

import pytest

from bot import callbacks as cb
from bot.app import build_application
from bot.commands import BY_NAME, COMMANDS
from bot.i18n import set_locale
from handlers.reports import extras as report_extras
from handlers.sessions import SUBCOMMANDS as SESSION_SUBCOMMANDS
from handlers.stories.board import SUBCOMMANDS as STORY_SUBCOMMANDS
from tests.e2e import conftest
from tests.e2e.conftest import Harness
from tests.e2e.permission_actions import (
    _GATE,
    PRESSED,
    TYPED,
    all_actions,
    button_data,
    is_refusal,
)
from tests.e2e.permission_world import (
    PERSONAS,
    act,
    build,
    checksums,
    copy_database,
    denials_since,
    last_audit_id,
    restore,
    vietnamese,
)
from tests.e2e.test_robustness import Sweep

# Columns: stranger, pending member, member, deputy of CB-1, secretary of CB-1 (in scope),
# of CB-2 (out of scope), committee of DU-NK (in scope), of DU-AB (out of scope), the
# propaganda board of DU-NK, the administrator. What is acted on lives in CB-1.
# fmt: off
TABLE = """
action              strang  pend    member  deputy  sec_in  sec_out com_in  com_out board   admin
/start              ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/help               ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/me                 HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/language           ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/cancel             ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/invite DV003       HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    HIDDEN  HIDDEN  HIDDEN  ALLOW
/invite unit CB-1   HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    HIDDEN  HIDDEN  HIDDEN  ALLOW
/joins              HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   HIDDEN  HIDDEN  HIDDEN  ALLOW
/unreached          HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/session            HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/session new        HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session list       HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/session show       HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session edit       HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session cancel     HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session checkin    HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session close      HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session minutes    HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/session bridge     HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/session deadline   HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/session report     HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/sessions           HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/reminders          HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
/attend             HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/commit             HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
/mycommitments      HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
/review             HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
/pending            HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/grade              HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/decide             HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/commitments        HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   HIDDEN  ALLOW
/dossier            HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/dossier DV002      HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
/dossier cell CB-1  HIDDEN  HIDDEN  DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
/report             HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/report export      HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/report chart       HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/report review      HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW   DENY    ALLOW   DENY    HIDDEN  ALLOW
/stories            HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/calendar           HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/calendar add       HIDDEN  HIDDEN  DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
/calendar edit      HIDDEN  HIDDEN  DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW   ALLOW
/calendar remove    HIDDEN  HIDDEN  DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW   ALLOW
/calendar attach    HIDDEN  HIDDEN  DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
/nominate           HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
/nominations        HIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/nominations decidedHIDDEN  HIDDEN  ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
/story              HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/story new          HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/story list         HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/story show         HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/story edit         HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/story cancel       HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/story stats        HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW   ALLOW
/campaign           HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  HIDDEN  ALLOW
go:commit           DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
go:commitments      DENY    DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY    ALLOW
go:review           DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
go:grade            DENY    DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY    ALLOW
go:sessions         DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
go:session_new      DENY    DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY    ALLOW
go:session_close    DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
go:session_minutes  DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
go:session_report   DENY    DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY    ALLOW
lang                ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
joinname            STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
join                DENY    DENY    DENY    ALLOW   ALLOW   DENY    DENY    DENY    DENY    ALLOW
ca:new              DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ca:edit             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ca:f                DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ca:back             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ca:cancel           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:add              DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:skip             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:nodate           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:menu             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:prev             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:list             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:act              DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:edit             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:date             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:del              DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:delok            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:submit           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:subp             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:subok            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:revise           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cf:cancel           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
cd:ok               DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
cd:ret              DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
cx:doc              DENY    DENY    ALLOW   ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
cx:docv             DENY    DENY    ALLOW   ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
cx:exp              DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
cr                  DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
gp                  DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
gp:confirm          DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
gpx                 DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
grm                 DENY    DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
gd:show             DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   DENY    DENY    ALLOW
gdo                 DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   DENY    DENY    ALLOW
gd:edit             DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   DENY    DENY    ALLOW
sesn:unit           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:kind           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:camp           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:when           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn                DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:field          DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:edit           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ses:cancelok        DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
ses:show            DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
ses:yes             DENY    DENY    ALLOW   ALLOW   ALLOW   DENY    DENY    DENY    DENY    DENY
ses:no              DENY    DENY    ALLOW   ALLOW   ALLOW   DENY    DENY    DENY    DENY    DENY
ses:in              DENY    DENY    ALLOW   ALLOW   ALLOW   DENY    DENY    DENY    DENY    DENY
ses:late            DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
ses:cyc             DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
ses:fin             DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
ses:bulk            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ses:minre           DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
sesn:min:skip       DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:min:spk        DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
sesn:min            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ses:brok            DENY    DENY    STALE   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   STALE   ALLOW
ses:dlok            DENY    DENY    STALE   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   STALE   ALLOW
ses:exp             DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
rmd                 DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
st:read             DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   DENY
st:open             DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
cal:pick            DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW   ALLOW
cal:att             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
cal:attok           DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
cal:rmok            DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW   ALLOW
caln:unit           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
caln:skip           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
caln:save           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
caln:field          DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
caln:edit           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
nmn:skip            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
nmn:unit            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
nmn                 DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
nm:list             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
nm:open             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
nm:ok               DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
nm:no               DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
nm:story            DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:pread            DENY    DENY    ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW   ALLOW
st:show             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:send             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:sched            DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:keep             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:edit             DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:cancel           DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:cancelok         DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
st:stats            DENY    DENY    DENY    DENY    DENY    DENY    DENY    DENY    ALLOW   ALLOW
stn:unit            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:bodyok          DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:nophoto         DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:tag             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:aud             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:kinds           DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:role            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:tog             DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:open            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:up              DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:page            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:done            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stn:chan            DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ste:f               DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
ste:nophoto         DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
stw                 DENY    DENY    STALE   STALE   STALE   STALE   STALE   STALE   STALE   STALE
rp:u                DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
rp:m                DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
rp:p                DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
rp:c                DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
rp:x                DENY    DENY    DENY    ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
rp:d                DENY    DENY    ALLOW   ALLOW   ALLOW   DENY    ALLOW   DENY    DENY    ALLOW
"""
# fmt: on
COLUMNS = dict(zip(TABLE.split("\n")[1].split()[1:], PERSONAS, strict=True))


def parse_table() -> dict[str, dict[str, str]]:
    lines = [line for line in TABLE.splitlines() if line.strip()]
    width = lines[0].index(lines[0].split()[1])
    rows: dict[str, dict[str, str]] = {}
    for line in lines[1:]:
        name, values = line[:width].strip(), line[width:].split()
        assert name not in rows, f"row {name!r} twice"
        assert len(values) == len(COLUMNS), f"row {name!r}: {len(values)} values"
        rows[name] = {COLUMNS[column]: value for column, value in zip(COLUMNS, values, strict=True)}
    return rows


# The run -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_flood_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        conftest, "build_application", functools.partial(build_application, rate_limit=False)
    )


@pytest.fixture(autouse=True)
def _no_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notices stay queued (and are put back with the rest): a notice arriving in a
    persona's chat during another cell would be taken for that cell's answer."""

    async def nothing(*args: object) -> None:
        return None

    monkeypatch.setattr("bot.app.start_delivery", nothing)
    monkeypatch.setattr("bot.app.stop_delivery", nothing)


def outcome_of(texts: list[str], action: str) -> str:
    """What the person was told: DENY (a refusal), STALE (a button no longer active),
    ALLOW (anything else), SILENT (nothing)."""
    if not texts:
        return "SILENT"
    public = action in TYPED and BY_NAME[action.split()[0].lstrip("/")].public
    welcome = {vietnamese(_GATE[1]), _stranger()}  # what /start and /help say to them
    if any(is_refusal(text) and not (public and text in welcome) for text in texts):
        return "DENY"
    if texts[0].startswith(vietnamese("This button is no longer active.")):
        return "STALE"
    return "ALLOW"


def _stranger() -> str:
    from handlers.replies import stranger_text

    set_locale("vi")
    return stranger_text()


def open_steps(db_path: Path, user: int) -> int:
    """The guided conversations open for this person (saved after every update)."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM ptb_conversations WHERE key LIKE ?", (f"%{user}%",)
        ).fetchone()[0]


async def test_permission_matrix(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    things = await build(h, tmp_path)
    sweep = Sweep(h, caplog)
    table = parse_table()
    recording = os.environ.get("PERMISSIONS_RECORD")
    # Every persona has said something, so each has a message of the bot's to press on.
    for user in PERSONAS.values():
        await sweep.say(user, "/help")
    pristine_path = tmp_path / "pristine.sqlite3"
    copy_database(h.db_path, pristine_path)
    pristine = checksums(h.db_path)
    menus = {
        user: {c["command"] for c in h.server.visible_commands(user)} for user in PERSONAS.values()
    }
    problems: list[str] = []
    observed: dict[str, dict[str, str]] = {}
    details: list[str] = []
    started = time.monotonic()
    for action in all_actions():
        expected_row = table.get(action)
        if expected_row is None and not recording:
            problems.append(f"{action}: no row in the table")
            continue
        observed[action] = {}
        for persona, user in PERSONAS.items():
            audit_mark = last_audit_id(h.db_path)
            on = [m for m in h.server.messages(user) if not m.deleted][-1]
            if action in TYPED:
                texts = await act(sweep, user, text=TYPED[action](things))
            else:
                texts = await act(sweep, user, data=button_data(action, things), on=on)
            seen = outcome_of(texts, action)
            if open_steps(h.db_path, user):
                await sweep.say(user, "/cancel")  # close the step it opened
            after = checksums(h.db_path)
            changed = [table for table in pristine if after.get(table) != pristine[table]]
            denied = denials_since(h.db_path, audit_mark)
            if changed:
                restore(h.db_path, pristine_path, changed)
            observed[action][persona] = seen
            if recording:
                details.append(
                    f"{action} | {persona} | {seen} | changed={changed} | "
                    f"denied={len(denied)} | {[t[:90] for t in texts[:2]]}"
                )
                continue
            want = expected_row[persona]
            where = f"{action} by {persona}"
            if want in ("DENY", "HIDDEN"):
                if seen != "DENY":
                    problems.append(f"{where}: expected a refusal, got {seen}: {texts[:1]}")
                if changed:
                    problems.append(f"{where}: refused but changed {changed}")
                if len(denied) != 1:
                    problems.append(f"{where}: refused, audited {len(denied)} times (not once)")
                command = action.split()[0].lstrip("/")
                if want == "HIDDEN" and command in menus[user]:
                    problems.append(f"{where}: /{command} is in the menu")
            elif want == "STALE":
                if seen != "STALE":
                    problems.append(f"{where}: expected stale, got {seen}: {texts[:1]}")
                if changed:
                    problems.append(f"{where}: a stale button changed {changed}")
            elif want == "ALLOW":
                if seen != "ALLOW":
                    problems.append(f"{where}: expected to proceed, got {seen}: {texts[:1]}")
                if denied:
                    problems.append(f"{where}: allowed but audited as denied: {denied}")
            else:
                problems.append(f"{where}: unknown value {want!r}")
    elapsed = time.monotonic() - started
    if recording:
        width = 20
        lines = ["action".ljust(width) + "".join(c.ljust(8) for c in COLUMNS)]
        for action, row in observed.items():
            lines.append(action.ljust(width) + "".join(row[p].ljust(8) for p in PERSONAS))
        written = "\n".join(lines) + f"\n# {elapsed:.1f} s\n"
        await asyncio.to_thread(Path(recording).write_text, written)
        await asyncio.to_thread(Path(recording + ".details").write_text, "\n".join(details))
        return
    sweep.assert_clean()
    assert not problems, "\n".join(problems)


def test_every_action_has_a_row() -> None:
    """A new command, subcommand, shortcut or button fails here until the table has it."""
    rows = parse_table()
    missing = [action for action in all_actions() if action not in rows]
    commands = {name.split()[0].lstrip("/") for name in TYPED}
    missing += [f"/{spec.name}" for spec in COMMANDS if spec.name not in commands]
    for parent, subs in (
        ("session", [sub for sub, _ in SESSION_SUBCOMMANDS]),
        ("story", [sub for sub, _ in STORY_SUBCOMMANDS]),
        ("report", list(report_extras.SUBCOMMANDS)),
    ):
        for sub in subs:
            name = f"/{parent} {sub.split()[0]}"
            if name not in TYPED:
                missing.append(name)
    missing += [
        f"{b.name} (no data)" for b in cb.BUTTONS if b is not cb.GO and b.name not in PRESSED
    ]
    assert not missing, f"actions without a row in TABLE: {missing}"
    unknown = [name for name in rows if name not in all_actions()]
    assert not unknown, f"rows for actions that no longer exist: {unknown}"
