"""Campaigns: one per year; history is never overwritten by another year."""

from __future__ import annotations

import sqlite3
from datetime import date

import aiosqlite

from storage.clock import to_db, utcnow
from storage.records import Campaign

_COLUMNS = (
    "id, year, topic, commit_deadline, study_deadline, review_opens, review_closes, "
    "commit_reminder_days"
)


def _campaign(row: sqlite3.Row) -> Campaign:
    return Campaign(
        id=row["id"],
        year=row["year"],
        topic=row["topic"],
        commit_deadline=date.fromisoformat(row["commit_deadline"]),
        study_deadline=date.fromisoformat(row["study_deadline"]),
        review_opens=date.fromisoformat(row["review_opens"]),
        review_closes=date.fromisoformat(row["review_closes"]),
        commit_reminder_days=_days(row["commit_reminder_days"]),
    )


def _days_text(days: tuple[int, ...] | None) -> str | None:
    return ",".join(str(day) for day in days) if days else None


def _days(value: str | None) -> tuple[int, ...] | None:
    if not value:
        return None
    return tuple(int(part) for part in value.split(","))


class CampaignRepository:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def by_year(self, year: int) -> Campaign | None:
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM campaigns WHERE year = ?", (year,)
        )
        row = await cursor.fetchone()
        return _campaign(row) if row else None

    async def get(self, campaign_id: int) -> Campaign | None:
        cursor = await self.conn.execute(
            f"SELECT {_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)
        )
        row = await cursor.fetchone()
        return _campaign(row) if row else None

    async def all(self) -> list[Campaign]:
        cursor = await self.conn.execute(f"SELECT {_COLUMNS} FROM campaigns ORDER BY year DESC")
        return [_campaign(row) for row in await cursor.fetchall()]

    async def create(self, campaign: Campaign) -> Campaign:
        now = to_db(utcnow())
        cursor = await self.conn.execute(
            "INSERT INTO campaigns (year, topic, commit_deadline, study_deadline, review_opens, "
            "review_closes, commit_reminder_days, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                campaign.year,
                campaign.topic,
                campaign.commit_deadline.isoformat(),
                campaign.study_deadline.isoformat(),
                campaign.review_opens.isoformat(),
                campaign.review_closes.isoformat(),
                _days_text(campaign.commit_reminder_days),
                now,
                now,
            ),
        )
        created = await self.get(cursor.lastrowid)
        assert created is not None
        return created

    async def update(self, campaign: Campaign) -> Campaign:
        await self.conn.execute(
            "UPDATE campaigns SET topic = ?, commit_deadline = ?, study_deadline = ?, "
            "review_opens = ?, review_closes = ?, commit_reminder_days = ?, updated_at = ? "
            "WHERE id = ?",
            (
                campaign.topic,
                campaign.commit_deadline.isoformat(),
                campaign.study_deadline.isoformat(),
                campaign.review_opens.isoformat(),
                campaign.review_closes.isoformat(),
                _days_text(campaign.commit_reminder_days),
                to_db(utcnow()),
                campaign.id,
            ),
        )
        updated = await self.get(campaign.id)
        assert updated is not None
        return updated

    async def set_commit_reminder_days(
        self, campaign_id: int, days: tuple[int, ...] | None
    ) -> None:
        """The campaign's own reminder days before the commitment deadline (None: default)."""
        await self.conn.execute(
            "UPDATE campaigns SET commit_reminder_days = ?, updated_at = ? WHERE id = ?",
            (_days_text(days), to_db(utcnow()), campaign_id),
        )
