"""Bridge points' head counts and the study deadline (each echoed, then confirmed by a
button), /session report with its CSV/XLSX export buttons, and /sessions for members."""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, format_date, gettext
from bot.parsing import parse_date, parse_whole_number
from bot.render.attendance import attendance_file
from bot.render.session_notices import answer_buttons, describe, month_label, quarter_label
from bot.rules import sessions as rules
from bot.services.sessions import PeriodReport
from handlers.replies import h, reply, reply_lines
from handlers.sessions.shared import parse_id, refuse
from handlers.ui import answer, keyboard, parse_button, pressed

BRIDGE_KEY = "session_bridge"
DEADLINE_KEY = "session_deadline"
MEMBERS_LISTED = 200
UPCOMING_SHOWN = 10


def _stale() -> str:
    return gettext("This button is no longer active.")


# Bridge points -------------------------------------------------------------------------------


async def bridge_ask(update: Update, context: CadreContext, rest: list[str]) -> None:
    """/session bridge ID [UNIT_CODE] COUNT [names…]: echoed, then confirmed."""
    if len(rest) < 2:
        raise InvalidInput(
            N_("Please write: /session bridge ID COUNT [names], e.g. /session bridge 7 25")
        )
    session_id = parse_id(rest[0])
    unit_code = None
    tail = rest[1:]
    if parse_whole_number(tail[0]) is None:
        unit_code, tail = tail[0], tail[1:]
    count = parse_whole_number(tail[0]) if tail else None
    if count is None:
        raise InvalidInput(N_("The head count must be a whole number, e.g. 25."))
    names = " ".join(tail[1:])
    context.user_data[BRIDGE_KEY] = {
        "id": session_id,
        "unit": unit_code,
        "count": count,
        "names": names,
    }
    text = gettext("Meeting {id}: <b>{count}</b> present at your bridge point.").format(
        id=session_id, count=count
    )
    if unit_code:
        text += "\n" + gettext("Bridge point: {unit}").format(unit=h(unit_code))
    if names:
        text += "\n" + gettext("Names: {names}").format(names=h(names))
    await reply_lines(  # the names may fill a whole message of their own
        update,
        [text, gettext("Is this correct?")],
        keyboard([(gettext("Confirm"), cb.BRIDGE_CONFIRM(session_id))]),
    )


async def bridge_confirmed(update: Update, context: CadreContext) -> None:
    # The echo the button stands for: the latest one, for the same session.
    data = context.user_data.get(BRIDGE_KEY)
    values = parse_button(cb.BRIDGE_CONFIRM, update)
    if not data or values is None or data.get("id") != values[0]:
        await refuse(update, _stale())
        return
    try:
        _, point = await context.services.sessions.report_bridge(
            context.actor, data["id"], data["unit"], data["count"], data["names"]
        )
    except UserFacingError as error:
        await refuse(update, error)
        return
    context.user_data.pop(BRIDGE_KEY, None)
    await pressed(update)
    await reply(
        update,
        gettext("Recorded for {unit}: {count} present.").format(
            unit=h(point.name), count=data["count"]
        ),
    )


# The study deadline --------------------------------------------------------------------------


async def deadline_ask(update: Update, context: CadreContext, rest: list[str]) -> None:
    """/session deadline DATE [UNIT_CODE]: the date is checked, then echoed for confirmation."""
    if not rest:
        raise InvalidInput(N_("Please write: /session deadline 31/03/2026 [UNIT_CODE]"))
    service = context.services.sessions
    day = parse_date(rest[0], default_year=context.services.clock.today().year)
    await service.check_study_deadline(day)
    if len(rest) > 1:
        unit = await service.unit_for(context.actor, rest[1])
    else:
        units = await service.managed_units(context.actor)
        if len(units) != 1:
            raise InvalidInput(N_("Please write: /session deadline 31/03/2026 [UNIT_CODE]"))
        unit = units[0]
    context.user_data[DEADLINE_KEY] = {"unit": unit.code, "date": day.isoformat()}
    await reply(
        update,
        gettext(
            "Study deadline for {unit} and every unit below it: <b>{date}</b>. Correct?"
        ).format(unit=h(unit.name), date=format_date(day)),
        reply_markup=keyboard([(gettext("Confirm"), cb.DEADLINE_CONFIRM())]),
    )


async def deadline_confirmed(update: Update, context: CadreContext) -> None:
    data = context.user_data.get(DEADLINE_KEY)
    if not data:
        await refuse(update, _stale())
        return
    service = context.services.sessions
    day = date.fromisoformat(data["date"])
    try:
        unit = await service.unit_for(context.actor, data["unit"])
        await service.set_study_deadline(context.actor, unit, day)
    except UserFacingError as error:
        await refuse(update, error)
        return
    context.user_data.pop(DEADLINE_KEY, None)
    await pressed(update)
    await reply(
        update,
        gettext("Saved: {unit} studies the campaign topic by {date}.").format(
            unit=h(unit.name), date=format_date(day)
        ),
    )


# /session report and its export ----------------------------------------------------------------


def report_lines(report: PeriodReport) -> list[str]:
    """Per unit: sessions held, attendance, months and quarters without the rule's meeting;
    then each member's attendance."""
    lines = [
        gettext("<b>Meetings report</b> {start} – {end}").format(
            start=format_date(report.start), end=format_date(report.end)
        ),
    ]
    for row in report.units:
        rate = rules.format_rate(row.present / row.counted if row.counted else None)
        regular = sum(s.kind == rules.Kind.REGULAR for s in row.sessions)
        thematic = sum(s.kind == rules.Kind.THEMATIC for s in row.sessions)
        lines.append(
            gettext(
                "<b>{unit}</b>: {count} held ({regular} regular, {thematic} thematic), "
                "attendance {rate}"
            ).format(
                unit=h(row.unit.name),
                count=len(row.sessions),
                regular=regular,
                thematic=thematic,
                rate=rate,
            )
        )
        if row.cadence is not None and row.cadence.missing_months:
            lines.append(
                "  "
                + gettext("No regular meeting in: {months}").format(
                    months=", ".join(month_label(y, m) for y, m in row.cadence.missing_months)
                )
            )
        if row.cadence is not None and row.cadence.missing_quarters:
            lines.append(
                "  "
                + gettext("No thematic meeting in: {quarters}").format(
                    quarters=", ".join(quarter_label(y, q) for y, q in row.cadence.missing_quarters)
                )
            )
    if report.members:
        lines.append("")
        lines.append(gettext("<b>Attendance per member</b>"))
        for rate in report.members[:MEMBERS_LISTED]:
            lines.append(
                f"{h(rate.name)} ({h(rate.unit.name)}): {rate.present}/{rate.counted} · "
                f"{rules.format_rate(rate.present / rate.counted)}"
            )
    return lines


async def show_report(update: Update, context: CadreContext, period: str | None) -> None:
    service = context.services.sessions
    start, end = service.period(period)
    report = await service.period_report(context.actor, start, end)
    lines = report_lines(report) + await _study_lines(context)
    tops = await service.managed_units(context.actor)
    # The first unit managed; its id, never its code, so the button always fits.
    buttons = [
        (
            gettext("Export {fmt}").format(fmt=fmt.upper()),
            cb.SESSION_EXPORT(fmt, tops[0].id, start, end),
        )
        for fmt in cb.FORMAT.choices
        if tops
    ]
    await reply_lines(update, lines, keyboard(buttons) if buttons else None)


async def _study_lines(context: CadreContext) -> list[str]:
    campaign, study = await context.services.sessions.study_report(context.actor)
    if campaign is None or not study:
        return []
    top = study[0]
    lines = [
        "",
        gettext("<b>Study of the campaign topic {year}</b>").format(year=campaign.year),
        gettext("{done} of {total} units have finished.").format(
            done=top.state.leaves_done, total=top.state.leaves_total
        ),
    ]
    not_done = [row for row in study if not row.state.done and row.state.leaves_total == 1]
    if not_done:
        lines.append(gettext("Not done yet:"))
        for row in not_done:
            lines.append(
                "  "
                + gettext("{unit} (deadline {date})").format(
                    unit=h(row.unit.name), date=format_date(row.state.deadline)
                )
            )
    return lines


async def export_pressed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.SESSION_EXPORT, update)
    if values is None:  # e.g. 31 February: not a button of ours
        await refuse(update, _stale())
        return
    fmt, unit_id, start, end = values
    try:
        export = await context.services.sessions.export_attendance(
            context.actor, unit_id, start, end, fmt
        )
    except UserFacingError as error:
        await refuse(update, error)
        return
    await answer(update)
    # Building a file is CPU work: in a worker thread, so other people are not kept waiting.
    name, content = await asyncio.to_thread(attendance_file, export)
    await update.effective_message.reply_document(
        InputFile(content, filename=name),
        caption=gettext("Attendance {start} – {end}").format(
            start=format_date(start), end=format_date(end)
        ),
    )


# /sessions ---------------------------------------------------------------------------------------


async def my_sessions(update: Update, context: CadreContext) -> None:
    found = await context.services.sessions.upcoming_for_member(context.actor)
    if not found:
        await reply(update, gettext("You have no upcoming meetings."))
        return
    await reply(update, gettext("Your upcoming meetings:"))
    for session, invitee, unit in found[:UPCOMING_SHOWN]:
        state = {
            "yes": gettext("You will attend."),
            "no": gettext("You can't attend."),
        }.get(invitee.rsvp or "", gettext("You have not answered yet."))
        await reply_lines(
            update,
            [*describe(session), h(unit.name), f"<i>{state}</i>"],
            keyboard(*answer_buttons(session.id)),
        )


def handlers() -> list[BaseHandler]:
    return [
        CallbackQueryHandler(bridge_confirmed, pattern=cb.BRIDGE_CONFIRM.pattern),
        CallbackQueryHandler(deadline_confirmed, pattern=cb.DEADLINE_CONFIRM.pattern),
        CallbackQueryHandler(export_pressed, pattern=cb.SESSION_EXPORT.pattern),
        CommandHandler("sessions", my_sessions),
    ]
