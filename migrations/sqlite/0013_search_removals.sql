-- Search entries of messages the retention job removed, waiting for the search indexer.
-- Removing them from the trigram index inside each of the job's small transactions made FTS5
-- merge its segments there, and the message writer waited 30-80 ms behind them; the indexer
-- removes them in bulk instead. Searches join the index to `messages`, so an entry waiting
-- here is never found.
CREATE TABLE search_removed (id INTEGER PRIMARY KEY);

-- FTS5 merges its index segments in the writing transaction ('automerge'), and a merge that
-- reaches the large segments of old messages held SQLite's one connection for 30-80 ms. The
-- search indexer merges in small bounded steps of its own instead; 'crisismerge' stays as
-- the safety net should those steps ever fall far behind.
INSERT INTO message_search (message_search, rank) VALUES ('automerge', 0);
INSERT INTO message_search (message_search, rank) VALUES ('crisismerge', 64);
