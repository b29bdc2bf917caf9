-- The search index is filled in batches, off the message commits: maintaining it inside every
-- commit (one small FTS5 segment per commit, and inline merges whenever a level filled)
-- stalled the writer for milliseconds. New messages up to `indexed_up_to` (message ids are
-- taken in commit order on SQLite) are in the index; searches scan the few beyond it.
DROP TRIGGER message_search_insert;

CREATE TABLE search_state (
    id            INT PRIMARY KEY CHECK (id = 1),
    indexed_up_to BIGINT NOT NULL
);
INSERT INTO search_state (id, indexed_up_to) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

-- Edits and deletions of indexed messages change the index at once; a message not indexed yet
-- is indexed with its text as it is then.
DROP TRIGGER message_search_update;
CREATE TRIGGER message_search_update AFTER UPDATE OF search_text ON messages
WHEN OLD.id <= (SELECT indexed_up_to FROM search_state WHERE id = 1)
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.id;
    INSERT INTO message_search (rowid, search_text) SELECT NEW.id, NEW.search_text WHERE NEW.search_text IS NOT NULL;
END;
