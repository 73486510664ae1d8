"""Button data: one codec, and one table of every kind of button the bot sends.

Telegram gives a button at most 64 bytes of data. Every button here is a name (a few
letters, such as ``ses:yes``) followed by typed slots: whole-number ids, dates and words
from a fixed list. Never a unit code or any text a person typed: those can be long, and a
button that silently loses its data is worse than no button. The worst-case length of
each kind is known from its slots, and a test checks that every kind fits.

Services use this module too (their notices carry buttons), so it imports no Telegram.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.commands import SHORTCUTS
from bot.rules.commitments import Heading, Rating
from bot.rules.grading import Grade
from bot.rules.reports import PART_CODES
from bot.rules.sessions import Kind
from bot.rules.stories import AUDIENCE_ROLES, AudienceKind, Tag
from bot.rules.upcoming import MUTE_CODES

MAX_BYTES = 64
_MAX_ID = 2**63 - 1  # SQLite's INTEGER
_NAME = re.compile(r"^[a-z]+(?::[a-z]+)*$")


class StaleButton(ValueError):
    """The data is not (or no longer) a button of this kind."""


@dataclass(frozen=True)
class Slot:
    kind: str  # "id", "date" or "choice"
    choices: tuple[str, ...] = ()

    @property
    def pattern(self) -> str:
        if self.kind == "id":
            return r"\d{1,19}"
        if self.kind == "date":
            return r"\d{8}"
        return "(?:" + "|".join(re.escape(choice) for choice in self.choices) + ")"

    @property
    def width(self) -> int:
        if self.kind == "id":
            return 19
        if self.kind == "date":
            return 8
        return max(len(choice) for choice in self.choices)

    def encode(self, value: object) -> str:
        if self.kind == "id":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_ID:
                raise ValueError(f"not an id: {value!r}")
            return str(value)
        if self.kind == "date":
            if not isinstance(value, date):
                raise ValueError(f"not a date: {value!r}")
            return f"{value:%Y%m%d}"
        text = str(value)
        if text not in self.choices:
            raise ValueError(f"not one of {self.choices}: {value!r}")
        return text

    def decode(self, text: str) -> object:
        if self.kind == "id":
            value = int(text)
            if value > _MAX_ID:
                raise StaleButton(text)
            return value
        if self.kind == "date":
            try:
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError as error:
                raise StaleButton(text) from error
        return text


ID = Slot("id")
DATE = Slot("date")


def choice(*values: str) -> Slot:
    if not values or not all(re.fullmatch(r"[a-z0-9_]+", value) for value in values):
        raise ValueError("choices are short lowercase words")
    return Slot("choice", tuple(values))


class Button:
    """One kind of button: ``RSVP_YES(12)`` gives ``"ses:yes:12"``; ``RSVP_YES.parse(data)``
    gives ``(12,)`` back or raises :class:`StaleButton`."""

    def __init__(self, name: str, *slots: Slot) -> None:
        if not _NAME.match(name):
            raise ValueError(f"bad button name {name!r}")
        self.name = name
        self.slots = slots
        body = "".join(":" + slot.pattern for slot in slots)
        self._regex = re.compile(f"^{re.escape(name)}{body}$")
        # Anchored at both ends, so a choice that starts another ("1", "10") reads whole.
        self._parts = re.compile(
            f"^{re.escape(name)}" + "".join(f":({s.pattern})" for s in slots) + "$"
        )
        BUTTONS.append(self)

    def __call__(self, *values: object) -> str:
        if len(values) != len(self.slots):
            raise ValueError(f"{self.name} takes {len(self.slots)} values")
        data = ":".join(
            [self.name, *(s.encode(v) for s, v in zip(self.slots, values, strict=True))]
        )
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        return data

    @property
    def pattern(self) -> str:
        """The regular expression for ``CallbackQueryHandler(pattern=...)``."""
        return self._regex.pattern

    def pattern_for(self, first: object) -> str:
        """The pattern of the buttons of this kind whose first value is ``first`` (one
        handler per value: each shortcut of ``GO`` has its own)."""
        fixed = ":" + re.escape(self.slots[0].encode(first))
        rest = "".join(":" + slot.pattern for slot in self.slots[1:])
        return f"^{re.escape(self.name)}{fixed}{rest}$"

    @property
    def worst_case_bytes(self) -> int:
        return len(self.name) + sum(1 + slot.width for slot in self.slots)

    def matches(self, data: str | None) -> bool:
        return bool(data) and self._regex.match(data) is not None  # type: ignore[arg-type]

    def parse(self, data: str | None) -> tuple:
        match = self._regex.match(data or "") and self._parts.match(data or "")
        if not match:
            raise StaleButton(data or "")
        return tuple(
            slot.decode(text) for slot, text in zip(self.slots, match.groups(), strict=True)
        )


BUTTONS: list[Button] = []

FORMAT = choice("csv", "xlsx")

# Everyone ----------------------------------------------------------------------------------
LANGUAGE = Button("lang", choice("vi", "en"))

# A typed command as a button (bot.commands.SHORTCUTS), with the number typed after it (a
# year, a session id) or 0 for none: the reminders' "File my commitment", "Grade", ...
GO = Button("go", choice(*SHORTCUTS), ID)

# Joining -----------------------------------------------------------------------------------
JOIN_NAME = Button("joinname", choice("ok", "edit"))
JOIN_DECIDE = Button("join", choice("approve", "reject"), ID)  # request id

# Campaigns (administrators) ----------------------------------------------------------------
CAMPAIGN_NEW = Button("ca:new")
CAMPAIGN_EDIT = Button("ca:edit", ID)  # year
CAMPAIGN_FIELD = Button(
    "ca:f",
    ID,
    choice("topic", "commit_deadline", "study_deadline", "review_opens", "review_closes"),
)
CAMPAIGN_BACK = Button("ca:back")
CAMPAIGN_CANCEL = Button("ca:cancel")

# Commitments: filing (/commit) -------------------------------------------------------------
FILE_ADD = Button("cf:add", choice(*[heading.value for heading in Heading]))
FILE_SKIP_DATE = Button("cf:skip", ID)  # action id: no target date, asked right after adding
FILE_NO_DATE = Button("cf:nodate", ID)  # action id: remove the target date
FILE_MENU = Button("cf:menu")
FILE_PREVIEW = Button("cf:prev")
FILE_LIST = Button("cf:list")
FILE_ACTION = Button("cf:act", ID)
FILE_EDIT = Button("cf:edit", ID)
FILE_DATE = Button("cf:date", ID)
FILE_DELETE = Button("cf:del", ID)
FILE_DELETE_OK = Button("cf:delok", ID)
FILE_SUBMIT = Button("cf:submit")
FILE_SUBMIT_PREVIEWED = Button("cf:subp")  # from the preview: no need to show it again
FILE_SUBMIT_OK = Button("cf:subok")
FILE_REVISE = Button("cf:revise")
FILE_CANCEL = Button("cf:cancel")

# Commitments: review, documents, export, year end ------------------------------------------
REVIEW_APPROVE = Button("cd:ok", ID, ID)  # commitment id, version number
REVIEW_RETURN = Button("cd:ret", ID, ID)
DOCUMENT = Button("cx:doc", ID)  # commitment id: the version in force
DOCUMENT_VERSION = Button("cx:docv", ID, ID)  # commitment id, version number
COMMITMENT_EXPORT = Button("cx:exp", FORMAT, ID, ID)  # format, unit id, year
RATE = Button("cr", ID, choice(*[rating.value for rating in Rating]))  # action id, rating

# Year-end grading: the cell's proposal (/grade), the temporary cell's comment, the decision
# of the grassroots committee (/decide). The grade buttons of the earlier flow, which gave a
# grade at once ("cg:…", "cgx:…"), are answered as no longer active.
GRADES = choice(*[grade.value for grade in Grade])
PROPOSE = Button("gp", ID, ID, GRADES)  # commitment id, proposal revision seen, grade
PROPOSE_CONFIRM = Button("gp:confirm", choice("ok", "no"))
PROPOSE_CARD = Button("gpx", ID)  # commitment id: its card again, to change the proposal
REMARK = Button("grm", ID, ID)  # member id, campaign id: the temporary cell's comment
DECIDE_BOARD = Button("gd:show", ID, ID)  # unit id, year
DECIDE_ALL = Button("gdo", ID, ID, ID)  # unit id, year, the board's stamp (at most 64 bytes)
DECIDE_EDIT = Button("gd:edit", ID, ID)  # unit id, year: the members whose proposal to change

# Sessions: creating (/session new) ---------------------------------------------------------
NEW_UNIT = Button("sesn:unit", ID)
NEW_KIND = Button("sesn:kind", choice(*[kind.value for kind in Kind]))
NEW_ON_CAMPAIGN = Button("sesn:camp", choice("yes", "no"))
NEW_WHEN = Button("sesn:when", choice("ok", "edit"))
NEW_SAVE = Button("sesn", choice("save", "redo"))

# Sessions: editing, cancelling -------------------------------------------------------------
EDIT_FIELD = Button("sesn:field", choice("topic", "starts_at", "place", "presenter", "lead_in"))
EDIT_CONFIRM = Button("sesn:edit", choice("ok", "again"))
CANCEL_SESSION = Button("ses:cancelok", ID)

# Sessions: the live view, answers, check-in, late reports ----------------------------------
SHOW = Button("ses:show", ID)
RSVP_YES = Button("ses:yes", ID)
RSVP_NO = Button("ses:no", ID)
ATTENDED = Button("ses:in", ID)
LATE_DECIDE = Button("ses:late", choice("ok", "no"), ID, ID)  # session id, member id

# Sessions: closing, minutes, bridge points, the study deadline, export ----------------------
CYCLE_MARK = Button("ses:cyc", ID, ID)  # session id, line number
FINALISE = Button("ses:fin", ID)
BULK_DECIDE = Button("ses:bulk", choice("ok", "no"), ID)
MINUTES_AGAIN = Button("ses:minre", ID)
MINUTES_SKIP = Button("sesn:min:skip")
MINUTES_SPEAKERS_DONE = Button("sesn:min:spk")
MINUTES_SAVE = Button("sesn:min", choice("save", "redo"))
BRIDGE_CONFIRM = Button("ses:brok", ID)
DEADLINE_CONFIRM = Button("ses:dlok")
SESSION_EXPORT = Button("ses:exp", FORMAT, ID, DATE, DATE)  # format, unit id, from, to

# Reminders (/reminders): mute ("off") or unmute ("on") one mutable kind ----------------------
REMINDER_MUTE = Button("rmd", choice(*MUTE_CODES), choice("off", "on"))

# Stories -----------------------------------------------------------------------------------
STORY_READ = Button("st:read", ID)  # story id: "read and learned"
STORY_OPEN = Button("st:open", ID)  # story id: read a received story again

# The commemorative calendar ----------------------------------------------------------------
CAL_PICK = Button("cal:pick", ID)  # day id: list the board's stories to attach
CAL_ATTACH = Button("cal:att", ID, ID)  # day id, story id: attach (a draft asks first)
CAL_ATTACH_OK = Button("cal:attok", ID, ID)  # day id, story id: schedule the draft, attach
CAL_REMOVE_OK = Button("cal:rmok", ID)  # day id: remove it
CAL_ADD_UNIT = Button("caln:unit", ID)  # unit id (0: the whole organisation)
CAL_SKIP = Button("caln:skip")  # an optional answer left out
CAL_ADD_SAVE = Button("caln:save", choice("save", "redo"))
CAL_EDIT_FIELD = Button(
    "caln:field", choice("name_vi", "name_en", "date", "origin_year", "remind_days")
)
CAL_EDIT_SAVE = Button("caln:edit", choice("save", "again"))

# Nominations ("người tốt, việc tốt"): /nominate, then the board's review (/nominations) ------
NOMINATE_SKIP = Button("nmn:skip", choice("info", "photo"))  # an optional step left empty
NOMINATE_UNIT = Button("nmn:unit", ID)  # unit id: where the nomination goes
NOMINATE_SAVE = Button("nmn", choice("send", "redo"))  # the summary: send it, or start again
NOMINATION_LIST = Button("nm:list", choice("pending", "decided"))
NOMINATION_OPEN = Button("nm:open", ID)  # nomination id
NOMINATION_APPROVE = Button("nm:ok", ID)
NOMINATION_REJECT = Button("nm:no", ID)
NOMINATION_STORY = Button("nm:story", ID)

# Stories: the board (/story). Buttons that act on a story carry its stamp as shown (see
# bot.rules.stories.stamp): pressed after it changed, they are refused, never acted on.
STORY_PREVIEW_READ = Button("st:pread", ID)  # story id: the preview's "read and learned"
STORY_SHOW = Button("st:show", ID)
STORY_SEND = Button("st:send", ID, ID)  # story id, stamp
STORY_SCHEDULE = Button("st:sched", ID, ID)  # story id, stamp: then the time is asked
STORY_KEEP = Button("st:keep", ID)  # leave it a draft
STORY_EDIT = Button("st:edit", ID)
STORY_CANCEL = Button("st:cancel", ID)  # withdraw a scheduled story: asks to confirm
STORY_CANCEL_OK = Button("st:cancelok", ID, ID)  # story id, stamp
STORY_STATS = Button("st:stats", ID)

# Stories: writing and editing (conversations story_new, story_edit, story_when) ------------
STORY_UNIT = Button("stn:unit", ID)  # the board's unit the story is written for
STORY_BODY_DONE = Button("stn:bodyok")
STORY_NO_PHOTO = Button("stn:nophoto")
STORY_TAG = Button("stn:tag", choice(*[tag.value for tag in Tag]))
STORY_AUDIENCE = Button("stn:aud", choice(*[kind.value for kind in AudienceKind]))
STORY_KINDS = Button("stn:kinds")  # back to the audience question
STORY_ROLE = Button("stn:role", choice(*AUDIENCE_ROLES))
STORY_TOGGLE = Button("stn:tog", ID)  # unit id: chosen or not
STORY_OPEN_UNIT = Button("stn:open", ID)  # unit id: the units below it
STORY_UP = Button("stn:up")
STORY_PAGE = Button("stn:page", ID)  # page number
STORY_UNITS_DONE = Button("stn:done")
STORY_CHANNELS = Button("stn:chan", choice("yes", "no"))
STORY_FIELD = Button(
    "ste:f", choice("title", "body", "photo", "tag", "audience", "channels", "done")
)
STORY_REMOVE_PHOTO = Button("ste:nophoto")
STORY_WHEN = Button("stw", choice("ok", "edit"))

# Reports (/report): a unit's overview (a page of its child units, or of a cell's members),
# a unit's own members, one member's line; with the year and the part of the year shown
# (bot.rules.reports.PART_CODES: "y", "h1", "q3", "m05"), and the page.
REPORT_PART = choice(*PART_CODES)
PAGE = choice(*[str(number) for number in range(100)])
REPORT_UNIT = Button("rp:u", ID, ID, REPORT_PART, PAGE)  # unit id, year, part, page
REPORT_MEMBERS = Button("rp:m", ID, ID, REPORT_PART, PAGE)  # unit id: its own members
REPORT_MEMBER = Button("rp:p", ID, ID, REPORT_PART)  # member id, year, part
REPORT_CHART = Button("rp:c", ID, ID, REPORT_PART)  # unit id, year, part: the charts
REPORT_EXPORT = Button("rp:x", ID, ID, REPORT_PART)  # unit id, year, part: the workbook
REPORT_DOSSIER = Button("rp:d", ID, ID)  # member id, year: the year-end dossier
