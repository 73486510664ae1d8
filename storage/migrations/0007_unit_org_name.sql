-- A unit has two names: its committee ("Đảng ủy phường Ninh Kiều") and its Party
-- organisation ("Đảng bộ phường Ninh Kiều"), which documents name as the superior body.
-- Where the organisation's name follows from the kind it is derived; the import may give it
-- where it does not (NULL: derive).
ALTER TABLE units ADD COLUMN org_name TEXT;
