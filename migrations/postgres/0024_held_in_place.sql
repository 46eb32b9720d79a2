-- A held answer is sealed to 7.5 KiB (model::response::HELD_SIZE): with its
-- cell the row fits one page. Kept in the row (MAIN, and no attempt to
-- toast below a full page), it is written and read in place rather than
-- as four TOAST chunks with an index entry each. Ciphertext never
-- compresses, so nothing is tried on it first. Rows sealed to 8 KiB
-- before this stay in TOAST and read as before.
ALTER TABLE held_answers ALTER COLUMN sealed SET STORAGE MAIN;
ALTER TABLE held_answers SET (toast_tuple_target = 8160);
ALTER TABLE drafts ALTER COLUMN sealed SET STORAGE MAIN;
ALTER TABLE drafts SET (toast_tuple_target = 8160);
