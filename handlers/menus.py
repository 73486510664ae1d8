"""Keeping each person's Telegram command menu in step with their roles.

A role granted or revoked from the CLI (another process) changes what a person may do, but
their menu in Telegram was set earlier. Two things keep it true: a JobQueue job looks at the
audit trail every minute and resets the menus of the people whose roles changed; and every
private update compares the menu last set with the one the person's roles call for (the
``refresh_menu`` fingerprint), which covers changes made while the bot was stopped.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application

from bot.context import CadreContext, services_of
from bot.i18n import default_locale
from bot.menus import refresh_menu
from bot.services.organisation import role_changes_since

log = logging.getLogger(__name__)

LAST_SEEN_KEY = "menus_audit_seen"
JOB_NAME = "menus-after-role-changes"
EVERY = timedelta(minutes=1)


async def refresh_after_role_changes(context: CadreContext) -> None:
    application = context.application
    services = services_of(application)
    seen = application.bot_data.get(LAST_SEEN_KEY, 0)
    last, telegram_ids = await role_changes_since(services.db, seen)
    application.bot_data[LAST_SEEN_KEY] = last
    for telegram_id in telegram_ids:
        actor = await services.registration.identify(telegram_id)
        locale = (actor.member.language if actor.member else None) or default_locale()
        user_data = application.user_data[telegram_id]  # created if the person has none
        await refresh_menu(application.bot, actor, telegram_id, user_data, locale)
        application.mark_data_for_update_persistence(user_ids=[telegram_id])
        log.info("menu refreshed after a role change for telegram user %s", telegram_id)


async def start_menu_job(application: Application) -> None:
    """From now on: changes before the start are caught by the per-update check."""
    last, _ = await role_changes_since(services_of(application).db, 2**62)
    application.bot_data[LAST_SEEN_KEY] = last
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            refresh_after_role_changes, interval=EVERY, first=EVERY, name=JOB_NAME
        )
