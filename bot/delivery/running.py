"""The sender's life inside the bot: started in ``post_init``, stopped in ``post_stop``, and
the daily clean-up of old rows on the JobQueue."""

from __future__ import annotations

import logging
from datetime import time, timedelta

from telegram.ext import Application, CallbackContext

from bot.context import Services, services_of
from bot.delivery.pacing import Pacer
from bot.delivery.sender import Sender

log = logging.getLogger(__name__)

PACER_KEY = "pacer"
SENDER_KEY = "sender"
UNLIMITED = 1_000_000  # "no overall limit", for tests and benchmarks of the bot itself
STOP_GRACE = 3.0  # seconds the sends on the wire get at shutdown
PURGE_AT = time(3, 30)  # local time of the daily clean-up


async def start_delivery(application: Application, services: Services, pacer: Pacer) -> Sender:
    settings = services.settings
    sender = Sender(
        application.bot,
        services.db,
        services.clock,
        pacer,
        wake=services.notifications.wake,
        paid_broadcast=settings.paid_broadcast,
        screen=services.reminders.screen,
    )
    await sender.start()
    application.bot_data[SENDER_KEY] = sender
    if application.job_queue is not None:
        application.job_queue.run_daily(
            purge_old_rows, PURGE_AT.replace(tzinfo=settings.tz), name="outbox-purge"
        )
    return sender


async def stop_delivery(application: Application) -> None:
    sender: Sender | None = application.bot_data.pop(SENDER_KEY, None)
    if sender is not None:
        await sender.stop(STOP_GRACE)


async def purge_old_rows(context: CallbackContext) -> None:
    services = services_of(context.application)
    keep = timedelta(days=services.settings.outbox_keep_days)
    async with services.db.write() as store:
        purged = await store.outbox.purge_sent(services.clock.now() - keep)
    if purged:
        log.info("outbox: %s sent message(s) older than %s days deleted", purged, keep.days)
