"""The wiring: settings and services in, a python-telegram-bot Application out."""

from __future__ import annotations

import logging
import warnings
from functools import partial

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    Defaults,
)

from bot import i18n
from bot.builds import FileBuilder
from bot.clock import Clock
from bot.config import Settings
from bot.context import SERVICES_KEY, CadreContext, Services, services_of
from bot.delivery.limiter import SharedRateLimiter
from bot.delivery.pacing import Pacer
from bot.delivery.running import PACER_KEY, UNLIMITED, start_delivery, stop_delivery
from bot.menus import set_default_menus
from bot.persistence import SQLitePersistence
from bot.services.calendar import CalendarService
from bot.services.campaigns import CampaignService
from bot.services.commitments import CommitmentService
from bot.services.nominations import NominationService
from bot.services.notifications import NotificationService
from bot.services.organisation import OrganisationService
from bot.services.registration import RegistrationService
from bot.services.reminders import SWEEP_EVERY, ReminderService
from bot.services.reports.dossier import DossierService
from bot.services.reports.rollup import ROLLUP_EVERY, roll_up_attendance
from bot.services.reports.service import ReportService
from bot.services.sessions import SessionService
from bot.services.stories import StoryService
from bot.update_processor import PerUserOrderedProcessor
from handlers import after_start, flow, register_handlers
from storage import Database

log = logging.getLogger(__name__)

# Conversations mix text and buttons on purpose, so per_message=False is right for them.
warnings.filterwarnings("ignore", message="If 'per_message=False'", module="handlers")

BOT_USERNAME_KEY = "bot_username"
REMINDERS_JOB = "reminders-sweep"
STORY_RELEASE_JOB = "story-release"
ROLLUP_JOB = "reports-rollup"
ROLLUP_FIRST = 5.0  # seconds after start
STORY_RELEASE_EVERY = 20.0  # seconds: a scheduled story goes out at most this late


def build_services(
    settings: Settings, db: Database | None = None, clock: Clock | None = None
) -> Services:
    db = db or Database(settings.db_path)
    clock = clock or Clock(settings.tz)
    notifications = NotificationService(clock)
    stories = StoryService(db, clock, notifications)
    reminders = ReminderService(db, clock, notifications, quiet=settings.quiet)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        notifications=notifications,
        registration=RegistrationService(db, clock, notifications, settings.admin_ids),
        organisation=OrganisationService(db, clock),
        campaigns=CampaignService(db, clock, reminders),
        commitments=CommitmentService(db, clock, notifications, settings.locality),
        sessions=SessionService(db, clock, notifications, settings.locality, reminders=reminders),
        stories=stories,
        calendar=CalendarService(db, clock, notifications, stories, quiet=settings.quiet),
        nominations=NominationService(
            db, clock, notifications, stories, admin_ids=settings.admin_ids
        ),
        reminders=reminders,
        dossiers=DossierService(db, clock, settings.locality),
        reports=ReportService(db, clock),
        builder=FileBuilder(
            db,
            clock,
            timezone=settings.timezone,
            slots=settings.file_builds,
            locality=settings.locality,
        ),
    )


def build_application(
    settings: Settings, services: Services | None = None, *, rate_limit: bool = True
) -> Application:
    """Everything a running bot needs, wired once; nothing is sent before ``initialize``.

    ``rate_limit=False`` lifts the overall send rate (for tests and benchmarks that measure
    the bot itself rather than Telegram's limits); the per-chat pacing of the outbox stays.
    """
    token = settings.require_token()
    services = services or build_services(settings)
    i18n.configure(settings.default_locale, settings.tz)
    processor = PerUserOrderedProcessor(settings.max_concurrent_updates)
    builder = (
        ApplicationBuilder()
        .token(token)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=settings.tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=CadreContext))
        .persistence(
            SQLitePersistence(
                services.db,
                services.clock,
                conversation_timeout=settings.conversation_timeout,
            )
        )
        .concurrent_updates(processor)
        # Concurrent updates need a pool to match, or they queue for connections.
        .connection_pool_size(settings.max_concurrent_updates + 8)
        .pool_timeout(10.0)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    # One pacer for everything the bot sends: replies and the outbox share Telegram's budget.
    rate = settings.paid_broadcast_rate if settings.paid_broadcast else settings.send_rate
    pacer = Pacer(rate=rate if rate_limit else UNLIMITED)
    builder = builder.rate_limiter(SharedRateLimiter(pacer))
    if settings.api_base_url:
        builder = builder.base_url(f"{settings.api_base_url}/bot").base_file_url(
            f"{settings.api_base_url}/file/bot"
        )
    application = builder.build()
    processor.after_update = application.update_persistence
    processor.begin_step = partial(flow.begin_step, application)
    processor.end_step = partial(flow.end_step, application)
    application.bot_data[SERVICES_KEY] = services
    application.bot_data[PACER_KEY] = pacer
    register_handlers(application)
    return application


async def _post_init(application: Application) -> None:
    services = services_of(application)
    await services.db.ensure_connected()
    username = application.bot.username
    async with services.db.write() as store:
        await store.kv.set(BOT_USERNAME_KEY, username)
    await set_default_menus(application.bot)
    await after_start(application)
    await start_delivery(application, services, application.bot_data[PACER_KEY])
    await start_reminders(application)
    await start_story_release(application)
    start_attendance_rollup(application)
    log.info("cadrebot started as @%s", username)


async def sweep_reminders(context: CallbackContext) -> None:
    """The reminder engine's clock: queue what falls due soon (idempotent: the keys hold)."""
    await _sweep(services_of(context.application))


async def _sweep(services: Services) -> None:
    try:
        await services.reminders.sweep()
        queued = await services.calendar.queue_reminders()
    except Exception:  # a bad sweep must not stop the next one, nor the bot's start
        log.exception("reminders: the sweep failed; the next one will try again")
        return
    if queued:
        log.info("calendar: %s reminder(s) queued", queued)


async def start_reminders(application: Application) -> None:
    """Once at start (what came due while stopped, if still useful), then every few
    minutes, on the JobQueue (APScheduler): the database says what is due, the job only
    wakes the engine."""
    services = services_of(application)
    await _sweep(services)
    if application.job_queue is not None:
        every = SWEEP_EVERY.total_seconds()
        application.job_queue.run_repeating(
            sweep_reminders, interval=every, first=every, name=REMINDERS_JOB
        )


async def release_stories(context: CallbackContext) -> None:
    """Queue the scheduled stories whose time has come (once each, whoever runs it)."""
    released = await services_of(context.application).stories.release_due()
    if released:
        log.info("stories: %s scheduled story(ies) released", len(released))


async def start_story_release(application: Application) -> None:
    """Once at start (what came due while stopped goes out now), then every few seconds."""
    released = await services_of(application).stories.release_due()
    if released:
        log.info("stories: %s scheduled story(ies) released at start", len(released))
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            release_stories,
            interval=STORY_RELEASE_EVERY,
            first=STORY_RELEASE_EVERY,
            name=STORY_RELEASE_JOB,
        )


async def roll_up_attendance_job(context: CallbackContext) -> None:
    """Keep the reports' attendance counts of closed sessions (a cache: reports are exact
    without it, only slower)."""
    try:
        await roll_up_attendance(services_of(context.application).db)
    except Exception:  # the reports count live what is not rolled up; try again next time
        log.exception("reports: the attendance roll-up failed; the next one will try again")


def start_attendance_rollup(application: Application) -> None:
    """Soon after start (a backlog after an upgrade takes a while: not in the way of the
    start), then every few minutes."""
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            roll_up_attendance_job,
            interval=ROLLUP_EVERY.total_seconds(),
            first=ROLLUP_FIRST,
            name=ROLLUP_JOB,
        )


async def _post_stop(application: Application) -> None:
    # Before the HTTP client closes: the sends on the wire finish, the rest stay queued.
    await stop_delivery(application)


async def _post_shutdown(application: Application) -> None:
    await services_of(application).db.close()
