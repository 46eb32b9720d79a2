-- PostgreSQL's 0023 leaves room in the pages of the tables updated in place
-- and takes the status out of the invitations' unit index. SQLite rewrites
-- a row where it is, so it has nothing to change; the number is kept so
-- both backends' migrations stay in step.
SELECT 1;
