-- The report counts the responses taken out of the indices; without this
-- index that count read every response of the campaign (4 s at 1M on
-- SQLite). Both columns, so the planner prefers it and reads only the index.
CREATE INDEX responses_excluded ON responses (campaign_id, excluded);
