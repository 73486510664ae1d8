-- The commemorative calendar: the days the propaganda board prepares stories for, and the
-- stories attached to a day's occurrence in a given year.
--
-- A day belongs to the whole organisation (unit_id NULL: the national days, seeded here) or
-- to one unit (a sector's founding day, added by that unit's board). Days are removed softly
-- (removed_at), so a seeded day an administrator removed stays removed: the seed runs once,
-- with this migration, and nothing re-adds it.

CREATE TABLE calendar_days (
    id          INTEGER PRIMARY KEY,
    seed_key    TEXT    UNIQUE,                -- the seeded days' own key; NULL when added
    name_vi     TEXT    NOT NULL,
    name_en     TEXT    NOT NULL DEFAULT '',   -- empty: the Vietnamese name is shown
    kind        TEXT    NOT NULL DEFAULT 'solar' CHECK (kind IN ('solar', 'lunar')),
    month       INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    day         INTEGER NOT NULL CHECK (day BETWEEN 1 AND 31),
    origin_year INTEGER CHECK (origin_year IS NULL OR origin_year BETWEEN 1 AND 2100),
    unit_id     INTEGER REFERENCES units(id),  -- NULL: the whole organisation
    remind_days INTEGER NOT NULL DEFAULT 7 CHECK (remind_days BETWEEN 0 AND 60),
    created_by  INTEGER REFERENCES members(id),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    removed_at  TEXT
);
CREATE INDEX calendar_days_unit ON calendar_days(unit_id) WHERE removed_at IS NULL;

-- A story prepared for a day's occurrence (day, year); a day may have several (one per
-- board, say), and a story may serve more than one day.
CREATE TABLE calendar_stories (
    day_id      INTEGER NOT NULL REFERENCES calendar_days(id),
    year        INTEGER NOT NULL,
    story_id    INTEGER NOT NULL REFERENCES stories(id),
    attached_by INTEGER REFERENCES members(id),
    attached_at TEXT    NOT NULL,
    PRIMARY KEY (day_id, year, story_id)
);

-- The days of DOMAIN.md. The mass-mobilisation tradition day (15/10) and the Fatherland
-- Front's (18/11) both date from 1930. Giỗ Tổ Hùng Vương is 10/3 of the lunar calendar, with
-- no year of origin (no count is said).
INSERT INTO calendar_days (seed_key, name_vi, name_en, kind, month, day, origin_year, created_at, updated_at)
SELECT seed_key, name_vi, name_en, kind, month, day, origin_year,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
FROM (
    SELECT 'party_founding' AS seed_key, 'Ngày thành lập Đảng Cộng sản Việt Nam' AS name_vi,
           'Communist Party of Viet Nam Founding Day' AS name_en, 'solar' AS kind,
           2 AS month, 3 AS day, 1930 AS origin_year
    UNION ALL SELECT 'youth_union', 'Ngày thành lập Đoàn TNCS Hồ Chí Minh',
           'Ho Chi Minh Communist Youth Union Founding Day', 'solar', 3, 26, 1931
    UNION ALL SELECT 'hung_kings', 'Giỗ Tổ Hùng Vương',
           'Hung Kings'' Commemoration Day', 'lunar', 3, 10, NULL
    UNION ALL SELECT 'liberation', 'Ngày giải phóng miền Nam, thống nhất đất nước',
           'Liberation of the South and National Reunification Day', 'solar', 4, 30, 1975
    UNION ALL SELECT 'dien_bien_phu', 'Ngày chiến thắng Điện Biên Phủ',
           'Dien Bien Phu Victory Day', 'solar', 5, 7, 1954
    UNION ALL SELECT 'ho_chi_minh_birthday', 'Ngày sinh Chủ tịch Hồ Chí Minh',
           'President Ho Chi Minh''s Birthday', 'solar', 5, 19, 1890
    UNION ALL SELECT 'trade_union', 'Ngày thành lập Công đoàn Việt Nam',
           'Viet Nam Trade Union Founding Day', 'solar', 7, 28, 1929
    UNION ALL SELECT 'august_revolution', 'Ngày Cách mạng Tháng Tám thành công',
           'August Revolution Day', 'solar', 8, 19, 1945
    UNION ALL SELECT 'national_day', 'Ngày Quốc khánh',
           'National Day', 'solar', 9, 2, 1945
    UNION ALL SELECT 'mass_mobilisation', 'Ngày truyền thống công tác Dân vận của Đảng',
           'Party Mass Mobilisation Work Tradition Day', 'solar', 10, 15, 1930
    UNION ALL SELECT 'womens_union', 'Ngày thành lập Hội Liên hiệp Phụ nữ Việt Nam',
           'Viet Nam Women''s Union Founding Day', 'solar', 10, 20, 1930
    UNION ALL SELECT 'fatherland_front',
           'Ngày truyền thống Mặt trận Tổ quốc Việt Nam, Ngày hội Đại đoàn kết toàn dân tộc',
           'Viet Nam Fatherland Front Tradition Day, Great National Unity Day', 'solar', 11, 18, 1930
    UNION ALL SELECT 'peoples_army', 'Ngày thành lập Quân đội nhân dân Việt Nam',
           'Viet Nam People''s Army Founding Day', 'solar', 12, 22, 1944
);
