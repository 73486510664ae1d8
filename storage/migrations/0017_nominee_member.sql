-- The member a good-deed nomination names, so the year-end dossier can list the deeds and
-- commendations of that member. ``nominee`` stays the text as typed; the link is set when
-- the board approves (bot.rules.nominations.named_member: exactly one active member of the
-- nomination's unit and below with that name, never a guess between namesakes) or by the
-- operator (``cadrebot nominations link``). Nominations decided before this migration stay
-- unlinked: name normalisation cannot be done in SQL.
ALTER TABLE nominations ADD COLUMN nominee_member_id INTEGER REFERENCES members(id);
-- Who last set the link: 'rule' (at approval) or 'hand' (the operator, linking or
-- unlinking). NULL: nobody yet. A hand decision is never overridden by the rule.
ALTER TABLE nominations ADD COLUMN nominee_linked_by TEXT
    CHECK (nominee_linked_by IN ('rule', 'hand'));
CREATE INDEX nominations_nominee ON nominations(nominee_member_id)
    WHERE nominee_member_id IS NOT NULL;
