-- Rosters of groups surveyed without a counter's list (council delegates,
-- civil servants) live beside the frames: `roster_of` names the group.
ALTER TABLE frame_people ADD COLUMN roster_of TEXT;
