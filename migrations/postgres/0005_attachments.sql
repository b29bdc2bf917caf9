-- Images and files. Content is stored once per SHA-256 (blobs, on disk under the data
-- directory); each IMAGE or FILE message has one attachment naming its blob.
CREATE TABLE blobs (
    sha256    TEXT PRIMARY KEY,
    size      BIGINT NOT NULL,
    last_used BIGINT NOT NULL
);

CREATE TABLE attachments (
    message_id  BIGINT PRIMARY KEY,
    room_id     BIGINT NOT NULL,
    uploader_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL,
    name        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    -- Sniffed from the bytes, never taken from the client.
    mime        TEXT NOT NULL,
    width       BIGINT,
    height      BIGINT,
    -- The thumbnails' type (image/jpeg, or image/png when the image has transparency).
    thumb_mime  TEXT,
    created_at  BIGINT NOT NULL
);
-- A user's storage use (quota) and a blob's references (garbage collection).
CREATE INDEX attachments_uploader ON attachments (uploader_id);
CREATE INDEX attachments_sha256 ON attachments (sha256);
