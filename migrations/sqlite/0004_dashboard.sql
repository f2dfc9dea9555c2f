-- The dashboard: an organization's branding on its checkout pages. (Dashboard sign-in sessions
-- live in the table tower-sessions' store creates and migrates itself.)
ALTER TABLE organizations ADD COLUMN display_name TEXT;
ALTER TABLE organizations ADD COLUMN accent_color TEXT;
ALTER TABLE organizations ADD COLUMN logo_url TEXT;
