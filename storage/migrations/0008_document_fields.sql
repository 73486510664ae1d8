-- What the printed documents need and the records lacked:
-- the time a meeting ended, for its minutes ("từ 19 giờ 30 phút đến 21 giờ 15 phút"),
-- as a UTC instant (NULL for minutes recorded before: the document leaves it blank);
ALTER TABLE session_minutes ADD COLUMN ends_at TEXT;
-- and a member's work unit ("Đơn vị công tác") for the commitment form, from the roster
-- import's optional work_unit column ('' when not given).
ALTER TABLE members ADD COLUMN work_unit TEXT NOT NULL DEFAULT '';
