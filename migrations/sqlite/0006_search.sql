-- Search: substring search in every script (Thai and Chinese have no spaces between words).
-- `search_text` is what a message is found by: its text and file name, NFC-normalized and
-- lower-cased by the server, NULL for system lines and deleted messages. An FTS5 trigram
-- index over it (case-sensitive: the text is lower-cased already, so both databases agree)
-- narrows searches of 3 or more characters; shorter terms are matched by scanning.
ALTER TABLE messages ADD COLUMN search_text TEXT;

CREATE VIRTUAL TABLE message_search USING fts5(
    search_text,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1'
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages WHEN NEW.search_text IS NOT NULL
BEGIN
    INSERT INTO message_search (rowid, search_text) VALUES (NEW.id, NEW.search_text);
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF search_text ON messages
BEGIN
    DELETE FROM message_search WHERE rowid = OLD.id;
    INSERT INTO message_search (rowid, search_text) SELECT NEW.id, NEW.search_text WHERE NEW.search_text IS NOT NULL;
END;
