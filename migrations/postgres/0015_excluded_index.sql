-- The report counts the responses taken out of the indices; without this
-- index that count read every response of the campaign (3 s at 1M on SQLite).
CREATE INDEX responses_excluded ON responses (campaign_id) WHERE excluded IS NOT NULL;
