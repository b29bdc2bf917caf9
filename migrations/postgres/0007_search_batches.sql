-- SQLite's search index is filled in batches from this migration on (see its 0007); the
-- pg_trgm index is maintained by PostgreSQL itself, so nothing changes here.
SELECT 1;
