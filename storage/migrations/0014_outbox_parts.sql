-- A message sent as several Telegram calls (a photo alone, then a long text in parts) records
-- how many of its calls went through, so a retry after a failure part-way resumes there
-- instead of sending the photo and the first parts again.

ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
