-- The change log: every change to what a room shows takes the room's next seq inside its
-- transaction (rooms.last_seq). Messages remember the seq that created them and the seq of
-- their latest change; catch-up reads messages by change_seq. SYSTEM messages are timeline
-- entries ("Bob left"). Read markers move to seqs.
ALTER TABLE rooms ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;

-- Message ids for every node: taken inside the committing transaction, so the row lock orders
-- them as the commits are ordered (no two nodes' clocks or counters can interleave).
CREATE TABLE id_counter (
    id      INT PRIMARY KEY CHECK (id = 1),
    last_id BIGINT NOT NULL
);
INSERT INTO id_counter (id, last_id) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

ALTER TABLE messages ADD COLUMN seq BIGINT, ADD COLUMN change_seq BIGINT;
UPDATE messages m SET seq = n.rn, change_seq = n.rn
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY id) AS rn FROM messages) n
WHERE n.id = m.id;
ALTER TABLE messages ALTER COLUMN seq SET NOT NULL, ALTER COLUMN change_seq SET NOT NULL;
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check CHECK (kind IN ('TEXT', 'IMAGE', 'FILE', 'SYSTEM'));
-- Unread counts scan this (covering: no heap lookup).
CREATE INDEX messages_room_seq ON messages (room_id, seq) INCLUDE (sender_id, kind, deleted_at);
-- Catch-up, "everything in this room changed after seq N", reads new messages by seq (above)
-- and older ones changed since (edited, deleted, reacted to) here. Only changed messages are in
-- this index, so a new message writes one index fewer.
CREATE INDEX messages_room_change ON messages (room_id, change_seq) WHERE change_seq > seq;

UPDATE rooms r SET last_seq = COALESCE((SELECT MAX(seq) FROM messages WHERE room_id = r.id), 0);

ALTER TABLE participants ADD COLUMN last_read_seq BIGINT NOT NULL DEFAULT 0;
UPDATE participants p SET last_read_seq = COALESCE((
    SELECT MAX(m.seq) FROM messages m WHERE m.room_id = p.room_id AND m.id <= p.last_read_message_id), 0);
