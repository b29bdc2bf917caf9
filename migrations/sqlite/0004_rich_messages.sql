-- Rich messages: the rendered Markdown beside its source, replies, mentions, edit history and
-- reactions. Every change to them takes the room's next seq (see 0003).
ALTER TABLE messages ADD COLUMN html TEXT;
ALTER TABLE messages ADD COLUMN reply_to BIGINT;
-- JSON {"users": [ids], "room": true}: who the text mentions, as shown with the message.
ALTER TABLE messages ADD COLUMN mentions TEXT;

-- Previous texts of edited messages, oldest first by id; pruned to the newest few.
CREATE TABLE message_edits (
    id          INTEGER PRIMARY KEY,
    room_id     BIGINT NOT NULL,
    message_id  BIGINT NOT NULL,
    content     TEXT NOT NULL,
    replaced_at BIGINT NOT NULL,
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);
CREATE INDEX message_edits_message ON message_edits (message_id, id);

CREATE TABLE reactions (
    room_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    emoji      TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);

-- Who was mentioned where, at the seq of the change that mentioned them (a message's creation,
-- or the edit that added the mention): unread mentions are those after the read marker.
CREATE TABLE mentions (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id, message_id),
    FOREIGN KEY (room_id, message_id) REFERENCES messages (room_id, id) ON DELETE CASCADE
);
CREATE INDEX mentions_message ON mentions (message_id);
