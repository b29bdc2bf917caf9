-- The change log: every change to what a room shows takes the room's next seq inside its
-- transaction (rooms.last_seq). Messages remember the seq that created them and the seq of
-- their latest change; catch-up reads messages by change_seq. SYSTEM messages are timeline
-- entries ("Bob left"). Read markers move to seqs.
ALTER TABLE rooms ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;

-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE messages_v3 (
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    id         BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    change_seq BIGINT NOT NULL,
    sender_id  BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('TEXT', 'IMAGE', 'FILE', 'SYSTEM')),
    content    TEXT NOT NULL,
    client_id  TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    edited_at  BIGINT,
    deleted_at BIGINT,
    PRIMARY KEY (room_id, id)
) WITHOUT ROWID;

INSERT INTO messages_v3 (room_id, id, seq, change_seq, sender_id, kind, content, client_id, created_at,
                         updated_at, edited_at, deleted_at)
SELECT room_id, id, n, n, sender_id, kind, content, client_id, created_at, updated_at, edited_at, deleted_at
FROM (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY room_id ORDER BY id) AS n FROM messages m);

DROP TABLE messages;
ALTER TABLE messages_v3 RENAME TO messages;
CREATE UNIQUE INDEX messages_id ON messages (id);
CREATE UNIQUE INDEX messages_sender_client ON messages (sender_id, client_id);
-- Unread counts scan this (covering: no lookup into the table).
CREATE INDEX messages_room_seq ON messages (room_id, seq, sender_id, kind, deleted_at);
-- Catch-up, "everything in this room changed after seq N", reads new messages by seq (above)
-- and older ones changed since (edited, deleted, reacted to) here. Only changed messages are in
-- this index, so a new message writes one index fewer.
CREATE INDEX messages_room_change ON messages (room_id, change_seq) WHERE change_seq > seq;

UPDATE rooms SET last_seq = COALESCE((SELECT MAX(seq) FROM messages WHERE room_id = rooms.id), 0);

ALTER TABLE participants ADD COLUMN last_read_seq BIGINT NOT NULL DEFAULT 0;
UPDATE participants SET last_read_seq = COALESCE((
    SELECT MAX(m.seq) FROM messages m
    WHERE m.room_id = participants.room_id AND m.id <= participants.last_read_message_id), 0);

-- SQLite takes a batch's seqs inside its one INSERT statement (see storage/messages.rs); this
-- keeps the room's last seq in step, within that statement's own atomic write.
CREATE TRIGGER messages_last_seq AFTER INSERT ON messages
BEGIN
    UPDATE rooms SET last_seq = NEW.change_seq WHERE id = NEW.room_id AND last_seq < NEW.change_seq;
END;
