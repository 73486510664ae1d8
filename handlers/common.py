"""/help, /me, /language, /cancel, reachability, and the answer to stale buttons."""

from __future__ import annotations

from functools import lru_cache

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot.commands import Access, access_of, commands_for
from bot.context import CadreContext
from bot.i18n import N_, SUPPORTED_LOCALES, current_locale, gettext, set_locale, use_locale
from bot.menus import refresh_menu
from bot.rules.access import Role
from bot.rules.organisation import member_noun
from handlers.flow import FLOW_KEY
from handlers.gate import JOINING_KEY
from handlers.replies import h, is_private, reply, stranger_text
from handlers.ui import answer, keyboard, parse_button, refuse_button, stale_text

ROLE_NAMES = {
    Role.SECRETARY: N_("Cell secretary"),
    Role.DEPUTY: N_("Deputy secretary"),
    Role.COMMITTEE: N_("Committee member"),
    Role.PROPAGANDA: N_("Propaganda board"),
    Role.ADMIN: N_("Administrator"),
}
STATUS_NAMES = {
    "official": N_("Full member"),
    "probationary": N_("Probationary member"),
    "temporary": N_("Temporarily attached"),
    "exempt": N_("Exempt from meetings"),
}
MASS_MEMBER_NAMES = {"đoàn viên": N_("Union member"), "hội viên": N_("Association member")}
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


@lru_cache(maxsize=256)
def help_text(access: Access, locale: str) -> str:
    """/help's list for a set of roles in a language: the same for everyone who has them."""
    with use_locale(locale):
        lines = [gettext("You can use these commands:")]
        lines += [f"/{spec.name} — {h(spec.describe())}" for spec in commands_for(access)]
    return "\n".join(lines)


async def show_help(update: Update, context: CadreContext) -> None:
    actor = context.actor
    if not (actor.is_registered or actor.is_admin):
        await reply(update, stranger_text())
        return
    await reply(update, help_text(access_of(actor), current_locale()))
    if is_private(update) and context.user_data is not None:
        await refresh_menu(
            context.bot, actor, update.effective_chat.id, context.user_data, current_locale()
        )


async def show_me(update: Update, context: CadreContext) -> None:
    actor = context.actor
    member = actor.member
    if member is None:
        await reply(update, gettext("You are an administrator without a member record."))
        return
    primary = actor.units[0] if actor.units else None
    noun = member_noun(primary.kind, primary.name) if primary else "đảng viên"
    # A union or association branch's members are đoàn viên / hội viên, not Party members:
    # the Party's statuses (official, probationary, ...) do not describe them.
    status = (
        gettext(STATUS_NAMES[member.status])
        if noun == "đảng viên"
        else gettext(MASS_MEMBER_NAMES[noun])
    )
    lines = [
        gettext("Comrade <b>{name}</b>").format(name=h(member.full_name)),
        gettext("Roster code: {code}").format(code=h(member.code or "—")),
        gettext("Status: {status}").format(status=status),
    ]
    if member.position:
        lines.append(gettext("Position: {position}").format(position=h(member.position)))
    if member.is_head:
        lines.append(gettext("Head of agency or unit: sets an example"))
    for index, unit in enumerate(actor.units):
        label = gettext("Unit: {unit}") if index == 0 else gettext("Also in: {unit}")
        lines.append(label.format(unit=h(unit.name)))
    for grant in actor.grants:
        lines.append(
            gettext("Role: {role} — {unit}").format(
                role=gettext(ROLE_NAMES[Role(grant.role)]), unit=h(grant.unit.name)
            )
        )
    if actor.is_config_admin and not any(g.role == Role.ADMIN for g in actor.grants):
        lines.append(gettext("Role: {role}").format(role=gettext(ROLE_NAMES[Role.ADMIN])))
    lines.append(gettext("Language: {language}").format(language=LANGUAGE_NAMES[current_locale()]))
    await reply(update, "\n".join(lines))


def _language_keyboard() -> InlineKeyboardMarkup:
    return keyboard([(LANGUAGE_NAMES[code], cb.LANGUAGE(code)) for code in SUPPORTED_LOCALES])


async def choose_language(update: Update, context: CadreContext) -> None:
    if context.args:
        wanted = context.args[0].lower()
        if wanted not in SUPPORTED_LOCALES:
            await reply(
                update,
                gettext("Please choose vi or en, for example: /language en"),
                reply_markup=_language_keyboard(),
            )
            return
        await _switch_language(update, context, wanted)
        return
    await reply(update, gettext("Choose your language:"), reply_markup=_language_keyboard())


async def language_pressed(update: Update, context: CadreContext) -> None:
    values = parse_button(cb.LANGUAGE, update)
    if values is None:
        await refuse_button(update, stale_text())
        return
    (wanted,) = values
    await answer(update)
    await _switch_language(update, context, wanted)


async def _switch_language(update: Update, context: CadreContext, wanted: str) -> None:
    actor = context.actor
    await context.services.registration.set_language(actor, wanted)
    if context.user_data is not None:
        context.user_data["language"] = wanted
    set_locale(wanted)
    await reply(update, gettext("From now on I will reply in English."))
    if is_private(update) and context.user_data is not None:
        await refresh_menu(context.bot, actor, update.effective_chat.id, context.user_data, wanted)


async def cancel_nothing(update: Update, context: CadreContext) -> None:
    # No conversation holds this person: clear any stale "open flow" marks as well.
    if context.user_data is not None:
        context.user_data.pop(JOINING_KEY, None)
        context.user_data.pop(FLOW_KEY, None)
    await reply(update, gettext("There is nothing to cancel."))


async def stale_button(update: Update, context: CadreContext) -> None:
    await refuse_button(update, stale_text())


async def not_understood(update: Update, context: CadreContext) -> None:
    # Text in a private chat that no open step was waiting for (one finished, cancelled or
    # taken over by a button meanwhile): say so rather than stay silent.
    await reply(
        update,
        gettext("I was not expecting a message. Send /help to see what you can do."),
    )


async def chat_member_changed(update: Update, context: CadreContext) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in ("kicked", "left")
    await context.services.registration.note_blocked(change.from_user.id, blocked)


def register(application: Application) -> None:
    application.add_handler(CommandHandler("help", show_help))
    application.add_handler(CommandHandler("me", show_me))
    application.add_handler(CommandHandler("language", choose_language))
    application.add_handler(CallbackQueryHandler(language_pressed, pattern=cb.LANGUAGE.pattern))
    application.add_handler(CommandHandler("cancel", cancel_nothing))
    application.add_handler(
        ChatMemberHandler(chat_member_changed, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # Registered last in the group: only buttons no other handler recognised reach it.
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(
        MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, not_understood)
    )
