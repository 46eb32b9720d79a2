-- A campaign closes at midnight in its own time zone, not the server's: the
-- store keeps the zone beside the dates it decides with.
ALTER TABLE campaigns ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh';
