-- `number` answers are now counted per value in `tallies` (their n, mean and
-- median in reports). Responses stored before are counted once, here: the
-- answers of questions with no tally row yet (numbers and free text) whose
-- value is a number. A numeric free-text answer counted here is ignored by
-- the report, which reads text questions from `responses`.
INSERT INTO tallies (campaign_id, unit, group_code, field, question, answer, n)
SELECT r.campaign_id, r.unit, r.group_code, COALESCE(r.field, ''), j.key, j.value, COUNT(*)
FROM responses r, json_each(r.answers) j
WHERE r.excluded IS NULL
  AND j.value <> '' AND j.value NOT GLOB '*[^0-9.-]*'
  AND NOT EXISTS (SELECT 1 FROM tallies t WHERE t.campaign_id = r.campaign_id AND t.question = j.key)
GROUP BY r.campaign_id, r.unit, r.group_code, COALESCE(r.field, ''), j.key, j.value;
