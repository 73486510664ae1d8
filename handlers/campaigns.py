"""/campaign for administrators: list, create and edit the yearly campaigns, guided.

The rules and the writes are CampaignService's, shared with ``cadrebot campaign``.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.context import CadreContext
from bot.errors import InvalidInput, UserFacingError
from bot.i18n import N_, format_date, gettext
from bot.parsing import parse_date, parse_whole_number
from bot.services.audit import actor_label
from bot.services.campaigns import Campaign
from handlers import flow
from handlers.replies import h, reply
from handlers.ui import answer, keyboard, parse_button, stale_text

NAME = "campaign_admin"
CA_MENU, CA_YEAR, CA_TOPIC, CA_VALUE = range(40, 44)
DRAFT_KEY = "ca_draft"
FLOW = flow.FlowSpec(NAME, N_("editing a campaign (/campaign)"), draft_keys=(DRAFT_KEY,))

FIELDS = {
    "topic": N_("Topic"),
    "commit_deadline": N_("Commitment deadline"),
    "study_deadline": N_("Study deadline"),
    "review_opens": N_("Review opens"),
    "review_closes": N_("Review closes"),
}


def describe(campaign: Campaign) -> str:
    return gettext(
        "<b>{year}</b>: <i>{topic}</i>\nCommitments by {commit}, study by {study}; year-end "
        "review {opens} – {closes}"
    ).format(
        year=campaign.year,
        topic=h(campaign.topic),
        commit=format_date(campaign.commit_deadline),
        study=format_date(campaign.study_deadline),
        opens=format_date(campaign.review_opens),
        closes=format_date(campaign.review_closes),
    )


async def start(update: Update, context: CadreContext) -> int:
    if await flow.refuse_if_busy(update, context, NAME):
        return ConversationHandler.END
    campaigns = await context.services.campaigns.all()
    lines = [gettext("<b>Campaigns</b>")]
    lines += [describe(c) for c in campaigns] or [gettext("No campaigns yet.")]
    rows = [[(gettext("Create a campaign"), cb.CAMPAIGN_NEW())]]
    rows += [
        [(gettext("Edit {year}").format(year=c.year), cb.CAMPAIGN_EDIT(c.year))]
        for c in campaigns[:6]
    ]
    rows.append([(gettext("Cancel"), cb.CAMPAIGN_CANCEL())])
    await reply(update, "\n\n".join(lines), reply_markup=keyboard(*rows))
    return CA_MENU


async def pressed_new(update: Update, context: CadreContext) -> int:
    await answer(update)
    context.user_data[DRAFT_KEY] = {}
    await reply(update, gettext("Send the year of the new campaign, e.g. 2027."))
    return CA_YEAR


async def got_year(update: Update, context: CadreContext) -> int:
    year = parse_whole_number(update.effective_message.text or "")
    if year is None or not 2000 <= year <= 2100:
        await reply(update, gettext("The year must be between 2000 and 2100."))
        return CA_YEAR
    if await context.services.campaigns.for_year(year) is not None:
        await reply(
            update,
            gettext("A campaign for {year} already exists. Edit it instead.").format(year=year),
        )
        return CA_YEAR
    context.user_data[DRAFT_KEY] = {"year": year}
    await reply(update, gettext("Send the year's topic."))
    return CA_TOPIC


async def got_topic(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY) or {}
    if "year" not in draft:
        return await start(update, context)
    try:
        campaign = await context.services.campaigns.create(
            year=draft["year"],
            topic=update.effective_message.text or "",
            actor=actor_label(context.actor),
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        return CA_TOPIC
    await reply(
        update,
        gettext("Campaign created with the default dates:")
        + "\n"
        + describe(campaign)
        + "\n"
        + gettext("Send /campaign to change a date."),
    )
    return flow.close(context, NAME)


async def pressed_edit(update: Update, context: CadreContext) -> int:
    (year,) = parse_button(cb.CAMPAIGN_EDIT, update) or (0,)
    campaign = await context.services.campaigns.for_year(year)
    if campaign is None:
        text = gettext("There is no campaign for {year}.").format(year=year)
        await answer(update, text, alert=True)
        return CA_MENU
    await answer(update)
    rows = [[(gettext(label), cb.CAMPAIGN_FIELD(year, field))] for field, label in FIELDS.items()]
    rows.append([(gettext("Back"), cb.CAMPAIGN_BACK())])
    await reply(
        update,
        describe(campaign) + "\n\n" + gettext("What do you want to change?"),
        reply_markup=keyboard(*rows),
    )
    return CA_MENU


async def pressed_field(update: Update, context: CadreContext) -> int:
    values = parse_button(cb.CAMPAIGN_FIELD, update)
    if values is None:
        await answer(update, stale_text(), alert=True)
        return CA_MENU
    year, field = values
    await answer(update)
    context.user_data[DRAFT_KEY] = {"year": year, "field": field}
    prompt = (
        gettext("Send the new topic.")
        if field == "topic"
        else gettext("Send the new date, e.g. 31/03/{year}.").format(year=year)
    )
    await reply(update, f"{gettext(FIELDS[field])}: {prompt}")
    return CA_VALUE


async def got_value(update: Update, context: CadreContext) -> int:
    draft = context.user_data.get(DRAFT_KEY) or {}
    if "field" not in draft:
        return await start(update, context)
    text = update.effective_message.text or ""
    try:
        value: object = (
            text if draft["field"] == "topic" else parse_date(text, default_year=draft["year"])
        )
        campaign = await context.services.campaigns.edit(
            year=draft["year"], actor=actor_label(context.actor), **{draft["field"]: value}
        )
    except InvalidInput as error:
        await reply(update, error.render_html())
        return CA_VALUE
    except UserFacingError as error:
        await reply(update, error.render_html())
        return flow.close(context, NAME)
    await reply(update, gettext("Saved.") + "\n" + describe(campaign))
    return flow.close(context, NAME)


async def back(update: Update, context: CadreContext) -> int:
    await answer(update)
    return await start(update, context)


async def cancel(update: Update, context: CadreContext) -> int:
    await answer(update)
    await reply(update, gettext("Cancelled. Nothing was changed."))
    return flow.close(context, NAME)


def register(application: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    buttons = [
        CallbackQueryHandler(pressed_new, pattern=cb.CAMPAIGN_NEW.pattern),
        CallbackQueryHandler(pressed_edit, pattern=cb.CAMPAIGN_EDIT.pattern),
        CallbackQueryHandler(pressed_field, pattern=cb.CAMPAIGN_FIELD.pattern),
        CallbackQueryHandler(back, pattern=cb.CAMPAIGN_BACK.pattern),
        CallbackQueryHandler(cancel, pattern=cb.CAMPAIGN_CANCEL.pattern),
    ]
    conversation = flow.conversation(
        application,
        FLOW,
        entry_points=[CommandHandler("campaign", start)],
        states={
            CA_MENU: buttons,
            CA_YEAR: [*buttons, MessageHandler(text, got_year)],
            CA_TOPIC: [*buttons, MessageHandler(text, got_topic)],
            CA_VALUE: [*buttons, MessageHandler(text, got_value)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    application.add_handler(conversation)
