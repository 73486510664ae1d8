"""/session for secretaries and committees; /sessions and /attend for members; invitation
answers, check-in, late reports, closing with the paper-style list, minutes, bridge points,
the study cascade and reports. Telegram only: every rule lives in the session service.

Each guided subcommand is a named, persistent conversation of its own, entered by its
subcommand, and takes part in handlers/flow.py (one open conversation per person):

- ``session_new``: /session new [UNIT_CODE] (create.py);
- ``session_edit``: /session edit ID (edit.py);
- ``session_close``: /session close ID (closing.py);
- ``session_minutes``: /session minutes ID, or the «Record again» button (minutes.py);
- ``session_absence``: the "I can't attend" button, then the reason (attendance.py).

The other subcommands (list, show, cancel, checkin, bridge, deadline, report) answer at once
(:func:`route`) and leave an open conversation where it was; /session alone, or with a word
it does not know, shows the menu.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import N_, gettext
from handlers import shortcuts
from handlers.replies import h, reply
from handlers.sessions import attendance, closing, create, edit, minutes, reports, show
from handlers.sessions.shared import need_id

SUBCOMMANDS = (
    ("new", N_("create a meeting and invite the members")),
    ("list", N_("upcoming and recent meetings")),
    ("show ID", N_("details and the members' answers")),
    ("edit ID", N_("change the topic, time or place")),
    ("cancel ID", N_("cancel and tell the invitees")),
    ("checkin ID", N_("open check-in and get the code to read out")),
    ("close ID", N_("correct the attendance list and close")),
    ("minutes ID", N_("record the minutes and get the DOCX")),
    ("bridge ID COUNT", N_("report a bridge point's head count")),
    ("deadline DATE", N_("set the study deadline for your units")),
    ("report [period]", N_("attendance, the meeting rule and the study cascade")),
)


async def route(update: Update, context: CadreContext) -> None:
    """The subcommands that answer at once; anything else shows the menu."""
    args = context.args or []
    sub = args[0].lower() if args else ""
    rest = args[1:]
    try:
        if sub == "list":
            await show.show_list(update, context)
        elif sub == "show":
            await show.show_one(update, context, need_id(rest))
        elif sub == "cancel":
            await edit.cancel_ask(update, context, need_id(rest))
        elif sub == "checkin":
            await attendance.open_checkin(update, context, need_id(rest))
        elif sub == "bridge":
            await reports.bridge_ask(update, context, rest)
        elif sub == "deadline":
            await reports.deadline_ask(update, context, rest)
        elif sub == "report":
            await reports.show_report(update, context, " ".join(rest) or None)
        else:
            await show_menu(update)
    except UserFacingError as error:
        await reply(update, error.render_html())


async def show_menu(update: Update) -> None:
    lines = [gettext("<b>Meetings</b> — what you can do:")]
    lines += [f"/session {h(name)} — {gettext(what)}" for name, what in SUBCOMMANDS]
    await reply(update, "\n".join(lines))


def register(application: Application) -> None:
    # The conversations first: their entry points take /session new, edit, close, minutes
    # and "I can't attend", and their steps come before any button that works anywhere.
    for module in (create, edit, closing, minutes, attendance):
        application.add_handler(module.conversation(application))
    application.add_handlers(
        [
            *edit.handlers(),
            *closing.handlers(),
            *attendance.handlers(),
            *reports.handlers(),
            CallbackQueryHandler(show.show_refresh, pattern=cb.SHOW.pattern),
            CommandHandler("session", route),
            # The reminders' "My meetings" and "Study progress" (/sessions, /session report).
            shortcuts.handler("sessions", reports.my_sessions),
            shortcuts.handler("session_report", route),
        ]
    )
