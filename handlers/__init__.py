"""Telegram handlers: they parse updates, call a service and render the result. No SQL here."""

from __future__ import annotations

from telegram.ext import Application

from bot.context import services_of
from handlers import (
    calendar,
    campaigns,
    commitments,
    common,
    errors,
    flow,
    gate,
    menus,
    nominations,
    registration,
    reminders,
    reports,
    reports_dossier,
    sessions,
    stories,
)


def register_handlers(application: Application) -> None:
    flow.configure(application, services_of(application).settings.conversation_timeout)
    gate.register(application)
    registration.register(application)
    sessions.register(application)
    commitments.register(application)
    campaigns.register(application)
    stories.register(application)
    calendar.register(application)
    nominations.register(application)
    reminders.register(application)
    reports_dossier.register(application)
    reports.register(application)
    common.register(application)
    errors.register(application)


async def after_start(application: Application) -> None:
    """Once the bot is connected: tell people whose step expired while it was stopped, and
    watch for role changes that call for a new command menu."""
    await flow.announce_expired_at_start(application)
    await flow.resume_cut_short_at_start(application)
    await menus.start_menu_job(application)
