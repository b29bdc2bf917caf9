-- Instance admins see the operations monitor (/admin). The first account is one; others are
-- promoted from the command line (`confab admin --grant USERNAME`).
ALTER TABLE users ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET is_admin = TRUE WHERE id = (SELECT MIN(id) FROM users);
