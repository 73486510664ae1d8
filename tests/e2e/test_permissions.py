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

import ast
import asyncio
import functools
import os
import re
import sqlite3
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot import callbacks as cb
from bot.app import build_application
from bot.commands import BY_NAME, COMMANDS, SHORTCUTS
from bot.i18n import set_locale
from bot.rules.upcoming import MUTE_CODES
from handlers.reports import extras as report_extras
from handlers.sessions import SUBCOMMANDS as SESSION_SUBCOMMANDS
from handlers.stories.board import SUBCOMMANDS as STORY_SUBCOMMANDS
from tests.e2e import conftest
from tests.e2e.conftest import Harness
from tests.e2e.permission_world import (
    PERSONAS,
    Things,
    act,
    as_pattern,
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


# The actions ------------------------------------------------------------------------------

# Typed commands: the row's name, then the text with the ids of what it acts on.
TYPED: dict[str, Callable[[Things], str]] = {
    "/start": lambda t: "/start",
    "/help": lambda t: "/help",
    "/me": lambda t: "/me",
    "/language": lambda t: "/language",
    "/cancel": lambda t: "/cancel",
    "/invite DV003": lambda t: "/invite DV003",
    "/invite unit CB-1": lambda t: "/invite unit CB-1",
    "/joins": lambda t: "/joins",
    "/unreached": lambda t: "/unreached",
    "/session": lambda t: "/session",
    "/session new": lambda t: "/session new CB-1",
    "/session list": lambda t: "/session list",
    "/session show": lambda t: f"/session show {t.session}",
    "/session edit": lambda t: f"/session edit {t.session}",
    "/session cancel": lambda t: f"/session cancel {t.session}",
    "/session checkin": lambda t: f"/session checkin {t.session}",
    "/session close": lambda t: f"/session close {t.session}",
    "/session minutes": lambda t: f"/session minutes {t.session}",
    "/session bridge": lambda t: f"/session bridge {t.session} 5",
    "/session deadline": lambda t: "/session deadline 31/03/2026",
    "/session report": lambda t: "/session report",
    "/sessions": lambda t: "/sessions",
    "/reminders": lambda t: "/reminders",
    "/attend": lambda t: "/attend",
    "/commit": lambda t: "/commit",
    "/mycommitments": lambda t: "/mycommitments",
    "/review": lambda t: "/review",
    "/pending": lambda t: "/pending",
    "/grade": lambda t: "/grade",
    "/decide": lambda t: "/decide",
    "/commitments": lambda t: "/commitments",
    "/dossier": lambda t: "/dossier",
    "/dossier DV002": lambda t: "/dossier DV002",
    "/dossier cell CB-1": lambda t: "/dossier cell CB-1",
    "/report": lambda t: "/report CB-1",
    "/report export": lambda t: "/report export CB-1",
    "/report chart": lambda t: "/report chart CB-1",
    "/report review": lambda t: "/report review 2026 CB-1",
    "/stories": lambda t: "/stories",
    "/calendar": lambda t: "/calendar",
    "/calendar add": lambda t: "/calendar add",
    "/calendar edit": lambda t: f"/calendar edit {t.day}",
    "/calendar remove": lambda t: f"/calendar remove {t.day}",
    "/calendar attach": lambda t: f"/calendar attach {t.day} {t.draft_story}",
    "/nominate": lambda t: "/nominate",
    "/nominations": lambda t: "/nominations",
    "/nominations decided": lambda t: "/nominations decided",
    "/story": lambda t: "/story",
    "/story new": lambda t: "/story new",
    "/story list": lambda t: "/story list",
    "/story show": lambda t: f"/story show {t.draft_story}",
    "/story edit": lambda t: f"/story edit {t.draft_story}",
    "/story cancel": lambda t: f"/story cancel {t.draft_story}",
    "/story stats": lambda t: f"/story stats {t.sent_story}",
    "/campaign": lambda t: "/campaign",
}

# Buttons: the values of their slots, from what the world holds.
YEAR = 2026
START, END = date(2026, 1, 1), date(2026, 3, 31)
_SHORTCUT_NUMBER: dict[str, Callable[[Things], int]] = {
    "commitments": lambda t: YEAR,
    "grade": lambda t: YEAR,
    "session_close": lambda t: t.session,
    "session_minutes": lambda t: t.session,
}
PRESSED: dict[str, Callable[[Things], tuple]] = {
    "lang": lambda t: ("vi",),
    "joinname": lambda t: ("ok",),
    "join": lambda t: ("approve", t.join_request),
    "ca:new": lambda t: (),
    "ca:edit": lambda t: (YEAR,),
    "ca:f": lambda t: (YEAR, "topic"),
    "ca:back": lambda t: (),
    "ca:cancel": lambda t: (),
    "cf:add": lambda t: ("ideology",),
    "cf:skip": lambda t: (t.action,),
    "cf:nodate": lambda t: (t.action,),
    "cf:menu": lambda t: (),
    "cf:prev": lambda t: (),
    "cf:list": lambda t: (),
    "cf:act": lambda t: (t.action,),
    "cf:edit": lambda t: (t.action,),
    "cf:date": lambda t: (t.action,),
    "cf:del": lambda t: (t.action,),
    "cf:delok": lambda t: (t.action,),
    "cf:submit": lambda t: (),
    "cf:subp": lambda t: (),
    "cf:subok": lambda t: (),
    "cf:revise": lambda t: (),
    "cf:cancel": lambda t: (),
    "cd:ok": lambda t: (t.commitment, 1),
    "cd:ret": lambda t: (t.commitment, 1),
    "cx:doc": lambda t: (t.commitment,),
    "cx:docv": lambda t: (t.commitment, 1),
    "cx:exp": lambda t: ("csv", t.units["CB-1"], YEAR),
    "cr": lambda t: (t.action, "done"),
    "gp": lambda t: (t.commitment, 0, "good"),
    "gp:confirm": lambda t: ("ok",),
    "gpx": lambda t: (t.commitment,),
    "grm": lambda t: (t.members["DV002"], t.campaign),
    "gd:show": lambda t: (t.units["DU-NK"], YEAR),
    "gdo": lambda t: (t.units["DU-NK"], YEAR, 0),
    "gd:edit": lambda t: (t.units["DU-NK"], YEAR),
    "sesn:unit": lambda t: (t.units["CB-1"],),
    "sesn:kind": lambda t: ("regular",),
    "sesn:camp": lambda t: ("yes",),
    "sesn:when": lambda t: ("ok",),
    "sesn": lambda t: ("save",),
    "sesn:field": lambda t: ("topic",),
    "sesn:edit": lambda t: ("ok",),
    "ses:cancelok": lambda t: (t.session,),
    "ses:show": lambda t: (t.session,),
    "ses:yes": lambda t: (t.session,),
    "ses:no": lambda t: (t.session,),
    "ses:in": lambda t: (t.session,),
    "ses:late": lambda t: ("ok", t.session, t.members["DV002"]),
    "ses:cyc": lambda t: (t.session, 1),
    "ses:fin": lambda t: (t.session,),
    "ses:bulk": lambda t: ("ok", t.session),
    "ses:minre": lambda t: (t.session,),
    "sesn:min:skip": lambda t: (),
    "sesn:min:spk": lambda t: (),
    "sesn:min": lambda t: ("save",),
    "ses:brok": lambda t: (t.session,),
    "ses:dlok": lambda t: (),
    "ses:exp": lambda t: ("csv", t.units["CB-1"], START, END),
    "rmd": lambda t: (MUTE_CODES[0], "off"),
    "st:read": lambda t: (t.sent_story,),
    "st:open": lambda t: (t.sent_story,),
    "cal:pick": lambda t: (t.day,),
    "cal:att": lambda t: (t.day, t.draft_story),
    "cal:attok": lambda t: (t.day, t.draft_story),
    "cal:rmok": lambda t: (t.day,),
    "caln:unit": lambda t: (t.units["DU-NK"],),
    "caln:skip": lambda t: (),
    "caln:save": lambda t: ("save",),
    "caln:field": lambda t: ("name_vi",),
    "caln:edit": lambda t: ("save",),
    "nmn:skip": lambda t: ("info",),
    "nmn:unit": lambda t: (t.units["CB-1"],),
    "nmn": lambda t: ("send",),
    "nm:list": lambda t: ("pending",),
    "nm:open": lambda t: (t.nomination,),
    "nm:ok": lambda t: (t.nomination,),
    "nm:no": lambda t: (t.nomination,),
    "nm:story": lambda t: (t.nomination,),
    "st:pread": lambda t: (t.draft_story,),
    "st:show": lambda t: (t.draft_story,),
    "st:send": lambda t: (t.draft_story, t.draft_stamp),
    "st:sched": lambda t: (t.draft_story, t.draft_stamp),
    "st:keep": lambda t: (t.draft_story,),
    "st:edit": lambda t: (t.draft_story,),
    "st:cancel": lambda t: (t.draft_story,),
    "st:cancelok": lambda t: (t.draft_story, t.draft_stamp),
    "st:stats": lambda t: (t.sent_story,),
    "stn:unit": lambda t: (t.units["DU-NK"],),
    "stn:bodyok": lambda t: (),
    "stn:nophoto": lambda t: (),
    "stn:tag": lambda t: ("model",),
    "stn:aud": lambda t: ("scope",),
    "stn:kinds": lambda t: (),
    "stn:role": lambda t: ("secretary",),
    "stn:tog": lambda t: (t.units["CB-1"],),
    "stn:open": lambda t: (t.units["DU-NK"],),
    "stn:up": lambda t: (),
    "stn:page": lambda t: (1,),
    "stn:done": lambda t: (),
    "stn:chan": lambda t: ("no",),
    "ste:f": lambda t: ("title",),
    "ste:nophoto": lambda t: (),
    "stw": lambda t: ("ok",),
    "rp:u": lambda t: (t.units["CB-1"], YEAR, "y", "0"),
    "rp:m": lambda t: (t.units["CB-1"], YEAR, "y", "0"),
    "rp:p": lambda t: (t.members["DV002"], YEAR, "y"),
    "rp:c": lambda t: (t.units["CB-1"], YEAR, "y"),
    "rp:x": lambda t: (t.units["CB-1"], YEAR, "y"),
    "rp:d": lambda t: (t.members["DV002"], YEAR),
}


def button_data(name: str, things: Things) -> str:
    """The data a press of row ``name`` carries: ``go:<shortcut>`` or a button's name."""
    if name.startswith("go:"):
        shortcut = name.removeprefix("go:")
        return cb.GO(shortcut, _SHORTCUT_NUMBER.get(shortcut, lambda t: 0)(things))
    button = next(button for button in cb.BUTTONS if button.name == name)
    return button(*PRESSED[name](things))


def all_actions() -> list[str]:
    """Every command row, every subcommand of the tables that list them, every button."""
    return [
        *TYPED,
        *(f"go:{name}" for name in SHORTCUTS),
        *(b.name for b in cb.BUTTONS if b is not cb.GO),
    ]


# What counts as a refusal -----------------------------------------------------------------

_REFUSING = {"AccessDenied", "ScopeDenied", "OutOfScope"}
_GATE = (
    "Sorry, comrade, {command} is only for the roles that manage it.",
    "Your request to join is waiting for the secretary's approval. You will get a message "
    "when it is decided.",
)


def _refusal_ids() -> set[str]:
    """The message ids every access refusal of the services and handlers is raised with:
    the first argument of ``AccessDenied(...)`` and its kin, and the messages their own
    classes give."""
    found = set(_GATE)
    root = Path(__file__).resolve().parents[2]

    def messages(node: ast.AST) -> set[str]:
        return {
            call.args[0].value
            for call in ast.walk(node)
            if isinstance(call, ast.Call)
            and getattr(call.func, "id", "") == "N_"
            and call.args
            and isinstance(call.args[0], ast.Constant)
        }

    for folder in ("bot", "handlers"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", "") in _REFUSING for base in node.bases
                ):
                    found |= messages(node)
                elif isinstance(node, ast.Call) and node.args:
                    name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                    if name in _REFUSING:
                        found |= messages(node.args[0])
    return found


@functools.cache
def refusals() -> list:
    from handlers.replies import stranger_text

    patterns = [as_pattern(vietnamese(message)) for message in sorted(_refusal_ids())]
    patterns.append(re.compile(re.escape(stranger_text())))  # vietnamese() set the locale
    return patterns


def is_refusal(text: str) -> bool:
    return any(pattern.search(text) for pattern in refusals())


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
