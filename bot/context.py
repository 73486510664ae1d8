"""The per-update context handlers receive, and the typed way to reach the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

from bot.rules.access import Actor

if TYPE_CHECKING:
    from bot.builds import FileBuilder
    from bot.clock import Clock
    from bot.config import Settings
    from bot.services.calendar import CalendarService
    from bot.services.campaigns import CampaignService
    from bot.services.commitments import CommitmentService
    from bot.services.nominations import NominationService
    from bot.services.notifications import NotificationService
    from bot.services.organisation import OrganisationService
    from bot.services.registration import RegistrationService
    from bot.services.reminders import ReminderService
    from bot.services.reports.dossier import DossierService
    from bot.services.reports.service import ReportService
    from bot.services.sessions import SessionService
    from bot.services.stories import StoryService
    from storage import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    notifications: NotificationService
    registration: RegistrationService
    organisation: OrganisationService
    campaigns: CampaignService
    commitments: CommitmentService
    sessions: SessionService
    stories: StoryService
    calendar: CalendarService
    nominations: NominationService
    reminders: ReminderService
    dossiers: DossierService
    reports: ReportService
    builder: FileBuilder


SERVICES_KEY = "services"


def services_of(application: Application) -> Services:
    return application.bot_data[SERVICES_KEY]


class CadreContext(CallbackContext[ExtBot, dict, dict, dict]):
    """python-telegram-bot builds one context per update, shared by every handler group,
    so the first group can resolve the actor once for all the others."""

    def __init__(
        self, application: Application, chat_id: int | None = None, user_id: int | None = None
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self._actor: Actor | None = None

    @property
    def services(self) -> Services:
        return services_of(self.application)

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            raise RuntimeError("the actor is resolved by the gate before any handler runs")
        return self._actor

    @actor.setter
    def actor(self, value: Actor) -> None:
        self._actor = value

    @property
    def has_actor(self) -> bool:
        return self._actor is not None
