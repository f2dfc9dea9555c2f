-- Where each session was made (kassa's API, a dialect, the dashboard, a payment link, the portal,
-- the demo), for the metrics that count sessions by it. Sessions made before are kassa's.
ALTER TABLE checkout_sessions ADD COLUMN origin TEXT NOT NULL DEFAULT 'kassa';
