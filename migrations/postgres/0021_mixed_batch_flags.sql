-- In a batch that mixes paper ballots with online answers the answered list
-- tells which people answered on paper, and only online answers can be
-- "fast" (paper has no time on the page): a fast flag on a row would split
-- the batch into a smaller crowd around the paper ballots. In such a batch
-- the flag is kept as a count per batch, like a burst (SPEC §10).
ALTER TABLE releases ADD COLUMN fast BIGINT NOT NULL DEFAULT 0;
-- Mixed batches released before: their online rows lose the flag too.
UPDATE responses SET flags = CASE flags WHEN 'fast' THEN NULL WHEN 'straight,fast' THEN 'straight' ELSE flags END
WHERE source = 'mixed' AND flags IS NOT NULL;

-- Sealed blobs are ciphertext: compressing them (TOAST's default) costs time
-- on every submission and never saves a byte.
ALTER TABLE held_answers ALTER COLUMN sealed SET STORAGE EXTERNAL;
ALTER TABLE drafts ALTER COLUMN sealed SET STORAGE EXTERNAL;
