-- Year-end grades can be changed until the review window closes; every grade given is kept.
-- commitments.grade* hold the grade in force; commitment_grades holds each one ever given,
-- numbered per commitment. grade_revision is the number of the grade in force (0: none), so
-- a change applies only to the grade the grader saw (two graders at once: one wins).

ALTER TABLE commitments ADD COLUMN grade_revision INTEGER NOT NULL DEFAULT 0;

CREATE TABLE commitment_grades (
    id             INTEGER PRIMARY KEY,
    commitment_id  INTEGER NOT NULL REFERENCES commitments(id),
    revision       INTEGER NOT NULL,
    grade          TEXT    NOT NULL
                       CHECK (grade IN ('excellent', 'good', 'fulfilled', 'not_fulfilled')),
    points         INTEGER CHECK (points BETWEEN 0 AND 100),
    comment        TEXT,
    graded_by      INTEGER REFERENCES members(id),
    graded_by_name TEXT,
    graded_at      TEXT    NOT NULL,
    UNIQUE (commitment_id, revision)
);

-- Grades given before this migration become revision 1.
INSERT INTO commitment_grades (commitment_id, revision, grade, points, comment, graded_by,
                               graded_by_name, graded_at)
SELECT c.id, 1, c.grade, c.points, c.grade_comment, c.graded_by, m.full_name,
       COALESCE(c.graded_at, c.updated_at)
FROM commitments c LEFT JOIN members m ON m.id = c.graded_by
WHERE c.grade IS NOT NULL;
UPDATE commitments SET grade_revision = 1 WHERE grade IS NOT NULL;
