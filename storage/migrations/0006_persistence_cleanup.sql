-- python-telegram-bot persistence: bot data and callback data were never stored (services
-- live in bot data; buttons carry their own data), so their tables go. Each conversation
-- state records when it last changed, so conversations left open past the timeout can be
-- dropped at start ('' for states saved before this migration: treated as just saved).
DROP TABLE ptb_bot_data;
DROP TABLE ptb_callback_data;
ALTER TABLE ptb_conversations ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
-- The single "session" conversation became one conversation per /session flow
-- (session_new, session_edit, session_close, session_minutes): its states can never resume.
DELETE FROM ptb_conversations WHERE name = 'session';
