"""Campaign rules: default dates and what makes a campaign valid. Pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.errors import InvalidInput, Term
from bot.i18n import N_
from bot.render.text import utf16_len
from storage.records import Campaign

TOPIC_MIN, TOPIC_MAX = 10, 1000


def default_campaign(year: int, topic: str) -> Campaign:
    """Commitments and study by the end of Q1; the year-end review through December."""
    return Campaign(
        id=0,
        year=year,
        topic=" ".join(topic.split()),
        commit_deadline=date(year, 3, 31),
        study_deadline=date(year, 3, 31),
        review_opens=date(year, 12, 1),
        review_closes=date(year, 12, 31),
    )


def with_changes(campaign: Campaign, **changes: object) -> Campaign:
    """Apply the given (non-None) changes and validate the result."""
    given = {key: value for key, value in changes.items() if value is not None}
    if "topic" in given:
        given["topic"] = " ".join(str(given["topic"]).split())
    return validate_campaign(replace(campaign, **given))  # type: ignore[arg-type]


def validate_campaign(campaign: Campaign) -> Campaign:
    if not 2000 <= campaign.year <= 2100:
        raise InvalidInput(N_("The year must be between 2000 and 2100."))
    if not TOPIC_MIN <= utf16_len(campaign.topic) <= TOPIC_MAX:  # as Telegram counts
        raise InvalidInput(
            N_("The topic must be {low} to {high} characters."), low=TOPIC_MIN, high=TOPIC_MAX
        )
    for label, day in (
        (N_("commitment deadline"), campaign.commit_deadline),
        (N_("study deadline"), campaign.study_deadline),
        (N_("review opening"), campaign.review_opens),
        (N_("review closing"), campaign.review_closes),
    ):
        if day.year != campaign.year:
            raise InvalidInput(
                N_("The {what} must fall within {year}."), what=Term(label), year=campaign.year
            )
    if campaign.review_opens > campaign.review_closes:
        raise InvalidInput(N_("The review window must open before it closes."))
    if campaign.commit_reminder_days is not None:
        check_reminder_days(campaign.commit_reminder_days)
    return campaign


REMINDER_DAYS_MAX = 60  # days before the deadline a reminder may fall
REMINDER_DAYS_COUNT = 6  # reminders a member may get before one deadline


def check_reminder_days(days: tuple[int, ...]) -> tuple[int, ...]:
    """The days before the commitment deadline members are reminded, as a campaign sets
    them: 1 to 60 days, at most 6 of them; returned from the farthest to the nearest."""
    if not 1 <= len(days) <= REMINDER_DAYS_COUNT or len(set(days)) != len(days):
        raise InvalidInput(
            N_("Give 1 to {count} different numbers of days, like 14,7,3,1."),
            count=REMINDER_DAYS_COUNT,
        )
    if not all(1 <= day <= REMINDER_DAYS_MAX for day in days):
        raise InvalidInput(
            N_("Each number of days must be from 1 to {high}."), high=REMINDER_DAYS_MAX
        )
    return tuple(sorted(days, reverse=True))


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """``"14, 7,3,1"`` → (14, 7, 3, 1); InvalidInput for anything else."""
    parts = [part.strip() for part in text.split(",")]
    if not parts or not all(part.isdecimal() and len(part) <= 3 for part in parts):
        raise InvalidInput(N_("Give the days as numbers separated by commas, like 14,7,3,1."))
    return check_reminder_days(tuple(int(part) for part in parts))


def in_review_window(campaign: Campaign, today: date) -> bool:
    return campaign.review_opens <= today <= campaign.review_closes


def is_late(campaign: Campaign, submitted_on: date) -> bool:
    return submitted_on > campaign.commit_deadline
