"""Looking at commitments: progress per unit and the export (/commitments), the member's
own history (/mycommitments) and the printed form (DOCX) from any card."""

from __future__ import annotations

import asyncio
import io

from telegram import Update

from bot import callbacks as cb
from bot.builds import files
from bot.context import CadreContext
from bot.errors import UserFacingError
from bot.i18n import format_date, gettext
from bot.parsing import parse_whole_number
from bot.render.commitment_form import commitment_docx
from handlers.commitments.rendering import render_commitment, send_lines
from handlers.replies import h, reply
from handlers.ui import answer, keyboard, parse_button, refuse_button, stale_text

# The export button's unit id when it covers everything the person oversees (what
# /commitments shows), rather than one unit.
WHOLE_SCOPE = 0


# The member's history, the printed form ----------------------------------------------------


async def my_commitments(update: Update, context: CadreContext) -> None:
    try:
        views = await context.services.commitments.mine(context.actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    if not views:
        await reply(update, gettext("You have no commitments yet. Send /commit to file one."))
        return
    for view in views:
        lines = render_commitment(view, ratings=True)
        record = view.commitment
        assert record is not None
        if len(view.versions) > 1:
            lines.append(gettext("Versions kept: {count}").format(count=len(view.versions)))
        if record.grade and record.grade_comment:
            lines.append(gettext("Comment: {comment}").format(comment=h(record.grade_comment)))
        markup = keyboard([(gettext("Document (DOCX)"), cb.DOCUMENT(record.id))])
        await send_lines(update, lines, reply_markup=markup)


async def pressed_document(update: Update, context: CadreContext) -> None:
    """The form of the standing version (``cx:doc``) or of one version (``cx:docv``)."""
    values = parse_button(cb.DOCUMENT_VERSION, update) or parse_button(cb.DOCUMENT, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    commitment_id, *version = values
    try:
        form = await context.services.commitments.document(
            context.actor, commitment_id, version[0] if version else None
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return
    await answer(update)
    data = await asyncio.to_thread(commitment_docx, form)  # off the event loop
    await update.effective_message.reply_document(
        document=io.BytesIO(data),
        filename=form.file_name,
        caption=gettext("The commitment form, ready to print."),
    )


# Progress and export -----------------------------------------------------------------------


async def show_progress(update: Update, context: CadreContext) -> None:
    year = None
    if context.args:
        year = parse_whole_number(context.args[0])
        if year is None:
            await reply(
                update, gettext("Please write the year as a number, e.g. /commitments 2026")
            )
            return
    try:
        campaign, rows = await context.services.commitments.progress(context.actor, year)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    lines = [
        gettext("<b>Commitments {year}</b> — deadline {date}").format(
            year=campaign.year, date=format_date(campaign.commit_deadline)
        )
    ]
    if not rows:
        lines.append(gettext("No members in your units."))
    for row in rows:
        lines.append("")
        lines.append(f"<b>{h(row.unit.name)}</b>")
        lines.append(
            gettext(
                "Expected {expected} · drafts {draft} · submitted {submitted} · approved "
                "{approved} · returned {returned} · missing {missing} · late {late}"
            ).format(
                expected=row.expected,
                draft=row.draft,
                submitted=row.submitted,
                approved=row.approved,
                returned=row.returned,
                missing=row.missing,
                late=row.late,
            )
        )
        if row.missing_names:
            lines.append(
                gettext("Missing: {names}").format(names=", ".join(h(n) for n in row.missing_names))
            )
    markup = keyboard(
        [
            ("CSV", cb.COMMITMENT_EXPORT("csv", WHOLE_SCOPE, campaign.year)),
            ("Excel (XLSX)", cb.COMMITMENT_EXPORT("xlsx", WHOLE_SCOPE, campaign.year)),
        ]
    )
    await send_lines(update, lines, reply_markup=markup)


async def pressed_export(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.COMMITMENT_EXPORT, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    fmt, unit_id, year = values
    services = context.services
    try:
        scope = await services.commitments.export_scope(
            year=year, unit_id=unit_id or None, actor=context.actor
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=False)
        return
    await answer(update)
    # A city's export is 50 s of CPU: built in a child process (bot/builds), so other people
    # are not kept waiting and the memory it takes goes back when it is done.
    try:
        built = await services.builder.build(files.commitments, scope, fmt)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    await update.effective_message.reply_document(
        document=io.BytesIO(built.content),
        filename=built.name,
        caption=gettext("Commitments {year}").format(year=year),
    )
