"""/dossier: the year-end dossier (hồ sơ kiểm điểm cuối năm) as a DOCX document.

    /dossier [YEAR]                 the member's own
    /dossier MEMBER_CODE [YEAR]     a member's, for a secretary, committee member or admin
    /dossier cell UNIT_CODE [YEAR]  every member of a cell in one file, one per page

The command is open to every member (their own dossier); naming someone else or a cell is
refused here to members without a secretary's, deputy's or committee role, and the service
checks the scope (which units) for everyone else.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from telegram import Message, Update
from telegram.ext import Application, CommandHandler

from bot.builds import files
from bot.context import CadreContext
from bot.errors import AccessDenied, InvalidInput, UserFacingError
from bot.i18n import N_, gettext
from bot.parsing import check_year, parse_whole_number
from bot.render.dossier import cell_units, dossier_docx, dossier_name
from bot.rules.access import MONITORS, Actor, may_use
from bot.services.reports.dossier import Dossier
from handlers.replies import h, reply

CELL_WORD = "cell"
NAME_SHOWN = 120  # characters of a name in a caption (a caption holds 1024)
USAGE = N_(
    "Send /dossier for your own year-end dossier, or /dossier 2026 for a given year. "
    "Secretaries and committee members: /dossier MEMBER_CODE [YEAR], or /dossier cell "
    "UNIT_CODE [YEAR] for a whole cell in one file."
)


@dataclass(frozen=True)
class Request:
    year: int | None = None
    member: str | None = None  # a member's code; None: one's own (or a cell)
    unit: str | None = None  # a cell's code


def _year(text: str) -> int:
    year = parse_whole_number(text)
    if year is None:
        raise InvalidInput(N_("Please write the year as a number, e.g. /dossier 2026"))
    return check_year(year, text)


def parse_request(args: list[str]) -> Request:
    """The words after /dossier; InvalidInput (with the usage) for anything else."""
    if not args:
        return Request()
    first = args[0]
    if first.lower() == CELL_WORD:
        if len(args) not in (2, 3):
            raise InvalidInput(USAGE)
        return Request(_year(args[2]) if len(args) == 3 else None, unit=args[1])
    if len(args) == 1 and parse_whole_number(first) is not None:
        return Request(_year(first))
    if len(args) > 2:
        raise InvalidInput(USAGE)
    return Request(_year(args[1]) if len(args) == 2 else None, member=first)


def _about_others(actor: Actor, request: Request) -> bool:
    """Whether the request names someone other than the actor, or a cell."""
    if request.unit is not None:
        return True
    own = actor.member.code if actor.member is not None else None
    return request.member is not None and request.member != own


def _short(name: str) -> str:
    return name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + "…"


async def dossier(update: Update, context: CadreContext) -> None:
    actor = context.actor
    service = context.services.dossiers
    try:
        request = parse_request(context.args or [])
        if _about_others(actor, request) and not may_use(actor, MONITORS):
            raise AccessDenied(
                N_(
                    "Only secretaries, committee members and administrators can see other "
                    "members' dossiers. Send /dossier for your own."
                )
            )
        if request.unit is not None:
            found = await service.cell_dossiers(actor, request.unit, request.year)
        else:
            one = await service.member_dossier(actor, request.member, request.year)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    message = update.effective_message
    if message is None:
        return
    if request.unit is not None:
        names = cell_units(found)
        unit = names[0] + (" …" if len(names) > 1 else "") if names else request.unit
        # A cell's dossiers are 4 s of rendering and 190 MB the allocator would keep: in a
        # child process (bot/builds), handed the data the service gathered and audited.
        try:
            built = await context.services.builder.build(files.cell_dossiers, found)
        except UserFacingError as error:
            await reply(update, error.render_html())
            return
        await message.reply_document(
            document=io.BytesIO(built.content),
            filename=built.name,
            caption=gettext(
                "Year-end review dossiers {year}, {unit}. Members: {count}, one per page."
            ).format(year=found[0].year, unit=h(_short(unit)), count=len(found)),
        )
        return
    await send_dossier(message, one)


async def send_dossier(message: Message, one: Dossier) -> None:
    """One member's dossier as a DOCX (also from /report's member line). One document is a
    tenth of a cell's: a worker thread is enough, a child's start would cost more."""
    data = await asyncio.to_thread(dossier_docx, one)
    await message.reply_document(
        document=io.BytesIO(data),
        filename=dossier_name(one),
        caption=gettext("Year-end review dossier {year}: {name}.").format(
            year=one.year, name=h(_short(one.member.full_name))
        ),
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("dossier", dossier))
