-- The review page lists the flagged and the excluded responses of a
-- campaign: an index of those rows alone, so it never reads the others.
CREATE INDEX responses_review ON responses (campaign_id, unit, group_code, shuffle)
    WHERE flags IS NOT NULL OR excluded IS NOT NULL;
