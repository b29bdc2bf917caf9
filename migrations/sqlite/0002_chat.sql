-- Rooms, participants and messages.
CREATE TABLE rooms (
    id          INTEGER PRIMARY KEY,
    name        TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('PRIVATE', 'GROUP')),
    -- "<low user id>:<high user id>" for private rooms: one private room per pair
    private_key TEXT UNIQUE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE participants (
    room_id              BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id              BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role                 TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at            BIGINT NOT NULL,
    last_read_message_id BIGINT,
    last_seen_at         BIGINT,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX participants_user ON participants (user_id, room_id);

-- Clustered on (room_id, id): "latest N", "N before X" and "N after X" are range scans of the
-- table's own b-tree, with no second lookup.
CREATE TABLE messages (
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    id         BIGINT NOT NULL,
    sender_id  BIGINT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL CHECK (kind IN ('TEXT', 'IMAGE', 'FILE')),
    content    TEXT NOT NULL,
    client_id  TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    edited_at  BIGINT,
    deleted_at BIGINT,
    PRIMARY KEY (room_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_id ON messages (id);
CREATE UNIQUE INDEX messages_sender_client ON messages (sender_id, client_id);
