-- Search folds compatibility forms and accents from this version on (`cafe` finds `café`,
-- `abc` finds `ＡＢＣ`). The folding is done by the server, in Rust, so every message's search
-- text is computed again: it is emptied here, and the server fills it in and indexes every
-- message again from the first, in the search indexer's usual steps, before it listens
-- (`service::search::catch_up`).
-- Entries waiting to be removed are removed first (by their trigger), then the whole index.
DELETE FROM search_removed;
UPDATE search_state SET indexed_up_to = 0 WHERE id = 1;
INSERT INTO message_search (message_search) VALUES ('delete-all');
UPDATE messages SET search_text = NULL WHERE search_text IS NOT NULL;
