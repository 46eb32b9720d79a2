-- Each answer kept column by column now carries how it came (online,
-- offline, paper) beside its day, for reports filtered by source. The
-- chunks are a copy of `responses`: emptied here, the first read of a
-- campaign's chunks finds them short of its responses and encodes them
-- again from `responses`, with the source.
DELETE FROM answer_chunks;
