"""Joining with an invite, join-request decisions, /invite, /joins and /unreached."""

from __future__ import annotations

from telegram import Update
from telegram.error import BadRequest
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
from bot.i18n import N_, current_locale, format_date, gettext
from bot.invites import deep_link
from bot.menus import refresh_menu
from bot.parsing import parse_whole_number
from bot.rules.access import MANAGERS, scope_units
from bot.services.registration import Redeemed, clean_full_name
from handlers import flow
from handlers.gate import JOINING_KEY
from handlers.replies import h, is_private, reply, reply_lines, stranger_text
from handlers.ui import (
    answer,
    confirm_keyboard,
    drop_markup,
    keyboard,
    parse_button,
    refuse_button,
    stale_text,
)

# Conversation states.
ASK_NAME, CONFIRM_NAME = range(2)
NAME_KEY = "join_name"
FLOW = flow.FlowSpec(
    "registration",
    N_("joining"),
    draft_keys=(JOINING_KEY, NAME_KEY),
    resume=N_("Open your invite link again to continue."),
)
BOT_USERNAME_KEY = "bot_username"


async def start(update: Update, context: CadreContext) -> int:
    actor = context.actor
    if not context.args:
        if actor.is_registered and actor.member is not None:
            await reply(
                update,
                gettext("Hello, comrade {name}! Send /help to see what you can do.").format(
                    name=h(actor.member.full_name)
                ),
            )
            await _refresh(update, context)
        elif actor.pending:
            await reply(
                update,
                gettext(
                    "Your request to join is waiting for the secretary's approval. You will "
                    "get a message when it is decided."
                ),
            )
        elif actor.is_admin:
            await reply(update, gettext("Hello, administrator. Send /help to see the commands."))
        else:
            await reply(update, stranger_text())
        return ConversationHandler.END
    if not is_private(update):
        await reply(update, gettext("Please use this command in a private chat with me."))
        return ConversationHandler.END
    try:
        result = await context.services.registration.redeem(context.args[0], actor.telegram_id)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return ConversationHandler.END
    if result.outcome is Redeemed.BOUND and result.member is not None:
        context.actor = await context.services.registration.identify(actor.telegram_id)
        await reply(
            update,
            gettext(
                "Welcome, comrade {name}! Your Telegram account is now linked to your member "
                "record. Send /help to see what you can do."
            ).format(name=h(result.member.full_name)),
        )
        await _refresh(update, context)
        return ConversationHandler.END
    context.user_data[JOINING_KEY] = result.invite.code
    flow.open_flow(context, FLOW.name)
    await reply(
        update,
        gettext(
            "You are joining <b>{unit}</b>.\nPlease send your full name as written in the "
            "roster, for example: Trần Thị Bích."
        ).format(unit=h(result.unit.name if result.unit else "")),
    )
    return ASK_NAME


async def name_received(update: Update, context: CadreContext) -> int:
    try:
        name = clean_full_name(update.effective_message.text or "")
    except UserFacingError as error:
        await reply(update, error.render_html())
        return ASK_NAME
    context.user_data[NAME_KEY] = name
    await reply(
        update,
        gettext("Full name: <b>{name}</b>\nIs this correct?").format(name=h(name)),
        reply_markup=confirm_keyboard(cb.JOIN_NAME("ok"), cb.JOIN_NAME("edit")),
    )
    return CONFIRM_NAME


async def name_confirmed(update: Update, context: CadreContext) -> int:
    await answer(update)
    code = context.user_data.get(JOINING_KEY)
    name = context.user_data.get(NAME_KEY)
    if parse_button(cb.JOIN_NAME, update) != ("ok",) or not name:
        await drop_markup(update)
        await reply(update, gettext("Please send your full name again."))
        return ASK_NAME
    if not code:
        await reply(update, gettext("This step has expired. Please open your invite link again."))
        return flow.close(context, FLOW.name)
    await drop_markup(update)
    language = context.user_data.get("language") or current_locale()
    try:
        await context.services.registration.request_join(
            code, context.actor.telegram_id, name, language
        )
    except UserFacingError as error:
        await reply(update, error.render_html())
        _forget_joining(context)
        return ConversationHandler.END
    _forget_joining(context)
    await reply(
        update,
        gettext(
            "Thank you. Your request has been sent to the cell secretary. You will get a "
            "message when it is approved."
        ),
    )
    return ConversationHandler.END


async def cancel_joining(update: Update, context: CadreContext) -> int:
    _forget_joining(context)
    await reply(update, gettext("Cancelled. Nothing was saved."))
    return ConversationHandler.END


def _forget_joining(context: CadreContext) -> None:
    flow.close(context, FLOW.name)


async def _refresh(update: Update, context: CadreContext) -> None:
    if is_private(update):
        await refresh_menu(
            context.bot,
            context.actor,
            update.effective_chat.id,
            context.user_data,
            current_locale(),
        )


# Decisions on join requests -----------------------------------------------------------


async def decision_pressed(update: Update, context: CadreContext) -> None:
    query = update.callback_query
    values = parse_button(cb.JOIN_DECIDE, update)
    if values is None:
        await refuse_button(update, stale_text(), drop=True)
        return
    verdict, request_id = values
    try:
        request = await context.services.registration.decide(
            request_id, verdict == "approve", context.actor
        )
    except UserFacingError as error:
        await refuse_button(update, error, drop=True)
        return
    await answer(update)
    status = gettext("Approved") if request.status == "approved" else gettext("Rejected")
    try:
        await query.edit_message_text(
            gettext("{status}: <b>{name}</b>").format(status=status, name=h(request.full_name))
        )
    except BadRequest:
        pass


async def list_joins(update: Update, context: CadreContext) -> None:
    pending = await context.services.registration.pending_requests(context.actor)
    if not pending:
        await reply(update, gettext("No join requests are waiting."))
        return
    await reply(update, gettext("Join requests waiting: {count}").format(count=len(pending)))
    for request, unit in pending[:20]:
        await reply(
            update,
            gettext("<b>{name}</b> — {unit}, {date}").format(
                name=h(request.full_name),
                unit=h(unit.name),
                date=format_date(request.requested_at),
            ),
            reply_markup=keyboard(
                [
                    (gettext("Approve"), cb.JOIN_DECIDE("approve", request.id)),
                    (gettext("Reject"), cb.JOIN_DECIDE("reject", request.id)),
                ]
            ),
        )


# Invites -----------------------------------------------------------------------------


async def create_invite(update: Update, context: CadreContext) -> None:
    args = context.args or []
    actor = context.actor
    if not args:
        await reply(
            update,
            gettext(
                "How to use it:\n/invite MEMBER_CODE — a personal invite for one member\n"
                "/invite unit — an invite for your unit (people send their name and you "
                "approve them)\n/invite unit UNIT_CODE 20 — for another unit you manage, "
                "usable 20 times"
            ),
        )
        return
    registration = context.services.registration
    by = f"tg:{actor.telegram_id}"
    try:
        if args[0].lower() == "unit":
            unit_code = args[1] if len(args) > 1 else None
            if unit_code is None:
                managed = scope_units(actor, MANAGERS)
                if not managed:
                    await reply(update, gettext("Please give the unit code: /invite unit CODE"))
                    return
                unit_code = managed[0].code
            uses = _positive(args[2]) if len(args) > 2 else 30
            invite = await registration.create_invite(
                by=by, unit_code=unit_code, uses=uses, actor=actor
            )
        else:
            invite = await registration.create_invite(by=by, member_code=args[0], actor=actor)
    except UserFacingError as error:
        await reply(update, error.render_html())
        return
    link = deep_link(context.bot.username, invite.code)
    lines = [gettext("Invite code: <code>{code}</code>").format(code=invite.code)]
    if invite.unit_id is not None:
        lines.append(gettext("It can be used {count} times.").format(count=invite.max_uses))
    if link:
        lines.append(gettext("Forward this link: {link}").format(link=link))
    await reply(update, "\n".join(lines))


def _positive(text: str) -> int:
    number = parse_whole_number(text)
    if number is None:
        raise InvalidInput(N_("Please write the number of uses as a whole number, e.g. 20."))
    return number


async def list_unreached(update: Update, context: CadreContext) -> None:
    people = await context.services.registration.unreached(context.actor)
    if not people:
        await reply(update, gettext("Everyone in your units has started the bot."))
        return
    lines = [
        gettext("Members I cannot write to yet: {count}").format(count=len(people)),
        gettext("Forward each one their personal link."),
    ]
    for index, person in enumerate(people, start=1):
        state = gettext("blocked the bot") if person.blocked else gettext("not started yet")
        if person.invite is not None:
            link = deep_link(context.bot.username, person.invite.code) or person.invite.code
        else:
            # Already linked to their Telegram account: opening the bot and pressing Start
            # (or unblocking it) is all they need.
            link = f"https://t.me/{context.bot.username}"
        lines.append(
            f"{index}. <b>{h(person.member.full_name)}</b> ({h(person.unit.name)}) — {state}\n"
            f"   {link}"
        )
    await reply_lines(update, lines)


def register(application: Application) -> None:
    conversation = flow.conversation(
        application,
        FLOW,
        entry_points=[CommandHandler("start", start)],
        states={
            ASK_NAME: [MessageHandler(filters.TEXT & ~filters.COMMAND, name_received)],
            CONFIRM_NAME: [
                CallbackQueryHandler(name_confirmed, pattern=cb.JOIN_NAME.pattern),
                MessageHandler(filters.TEXT & ~filters.COMMAND, name_received),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel_joining)],
    )
    application.add_handler(conversation)
    application.add_handler(CallbackQueryHandler(decision_pressed, pattern=cb.JOIN_DECIDE.pattern))
    application.add_handler(CommandHandler("joins", list_joins))
    application.add_handler(CommandHandler("invite", create_invite))
    application.add_handler(CommandHandler("unreached", list_unreached))
