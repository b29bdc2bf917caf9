-- The retention job's batches and the search indexer's steps each become one statement, with
-- these triggers doing the rest of their work. SQLite has one connection, and a transaction of
-- several statements kept it from the message writer while the job's task waited between its
-- statements for a turn on the busy core: 4 ms at a time, up to 30 ms a batch under the
-- benchmark's fan-out. One statement holds it only while SQLite works.

-- Message rows are deleted only by the retention job, a room's oldest first: each takes its
-- search entry (once indexed) and its attachment with it, and moves the room's purged_seq on.
CREATE TRIGGER message_purged BEFORE DELETE ON messages
BEGIN
    INSERT INTO search_removed (id) SELECT OLD.id
        WHERE OLD.search_text IS NOT NULL AND OLD.id <= (SELECT indexed_up_to FROM search_state WHERE id = 1);
    DELETE FROM attachments WHERE message_id = OLD.id;
    UPDATE rooms SET purged_seq = OLD.seq WHERE id = OLD.room_id AND purged_seq < OLD.seq;
END;

-- Moving indexed_up_to forward adds the messages it passes to the index.
CREATE TRIGGER search_advanced AFTER UPDATE OF indexed_up_to ON search_state
BEGIN
    INSERT INTO message_search (rowid, search_text) SELECT id, search_text FROM messages
        WHERE id > OLD.indexed_up_to AND id <= NEW.indexed_up_to AND search_text IS NOT NULL ORDER BY id;
END;

-- Taking a removed message off the list takes its entry out of the index.
CREATE TRIGGER search_unindexed BEFORE DELETE ON search_removed
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.id;
END;
