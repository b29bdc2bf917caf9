-- Search folds compatibility forms and accents from this version on (`cafe` finds `café`,
-- `abc` finds `ＡＢＣ`). The folding is done by the server, in Rust, so every message's search
-- text is computed again: it is emptied here, and the server fills it in as it starts
-- (`service::search::catch_up`); pg_trgm's index follows by itself.
UPDATE messages SET search_text = NULL WHERE search_text IS NOT NULL;
