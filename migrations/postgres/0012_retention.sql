-- Message retention. `retain_days`: a group's own policy (NULL: the server's --retain-days;
-- 0: keep forever). `purged_seq`: every message of the room with a seq up to it has been
-- removed by the retention job, so clients drop what they still hold below it.
ALTER TABLE rooms ADD COLUMN retain_days BIGINT;
ALTER TABLE rooms ADD COLUMN purged_seq BIGINT NOT NULL DEFAULT 0;
