-- Each account's UI language: follow the browser ('auto'), or always English or Thai.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'auto' CHECK (language IN ('auto', 'en', 'th'));
