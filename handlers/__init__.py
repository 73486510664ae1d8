"""Telegram handlers: they parse updates, call a service and render the result. No SQL here."""

from __future__ import annotations

from telegram.ext import Application

from handlers import campaigns, commitments, common, errors, gate, registration, sessions


def register_handlers(application: Application) -> None:
    gate.register(application)
    registration.register(application)
    sessions.register(application)
    commitments.register(application)
    campaigns.register(application)
    common.register(application)
    errors.register(application)
