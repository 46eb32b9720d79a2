-- Every submission changes an invitation's status: with the status out of
-- the invitations' unit index, the claim rewrites the row alone, not an
-- index entry too. (PostgreSQL's 0023 also leaves room in the pages of the
-- tables updated in place; SQLite rewrites a row where it is.)
DROP INDEX invitations_by_unit;
CREATE INDEX invitations_by_unit ON invitations (campaign_id, unit, group_code);
