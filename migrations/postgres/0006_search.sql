-- Search: substring search in every script (Thai and Chinese have no spaces between words).
-- `search_text` is what a message is found by: its text and file name, NFC-normalized and
-- lower-cased by the server, NULL for system lines and deleted messages. A pg_trgm GIN index
-- over it serves LIKE '%term%' for terms of 3 or more characters (it indexes Thai only when
-- the database's LC_CTYPE is UTF-8; the server warns at start-up otherwise).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE messages ADD COLUMN search_text TEXT;
CREATE INDEX messages_search ON messages USING gin (search_text gin_trgm_ops) WHERE search_text IS NOT NULL;
