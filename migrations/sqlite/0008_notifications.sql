-- Notification settings: each user's default level and sound, and per room an override of
-- the level and a mute. A NULL room level follows the user's default; muted_until is the end
-- of a mute in milliseconds (a far-future value: until unmuted).
ALTER TABLE users ADD COLUMN notify TEXT NOT NULL DEFAULT 'all' CHECK (notify IN ('all', 'mentions', 'nothing'));
ALTER TABLE users ADD COLUMN sound BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE participants ADD COLUMN notify TEXT CHECK (notify IN ('all', 'mentions', 'nothing'));
ALTER TABLE participants ADD COLUMN muted_until BIGINT;
