-- Every submission changes an invitation's status, a quota's count and, at
-- each release, a hundred tallies. Those updates stay on their page
-- (PostgreSQL's heap-only updates) when no index holds the changed column
-- and the page has room: the status leaves the invitations' unit index, and
-- the tables updated in place leave free space in each page. Indexes are
-- then not touched by the updates at all.
DROP INDEX invitations_by_unit;
CREATE INDEX invitations_by_unit ON invitations (campaign_id, unit, group_code);
ALTER TABLE invitations SET (fillfactor = 80);
ALTER TABLE quotas SET (fillfactor = 50);
ALTER TABLE tallies SET (fillfactor = 70);
ALTER TABLE cell_counts SET (fillfactor = 50);
