-- Tax rates made through the API and the dashboard carry Stripe's describing fields, and when each
-- was in effect: a session applies the rates in effect when it was made (active_from at or before
-- it, archived_at after it or never), so that what the page shows is what is charged whatever a
-- merchant creates or archives meanwhile.
ALTER TABLE tax_rates ADD COLUMN description TEXT;
ALTER TABLE tax_rates ADD COLUMN jurisdiction TEXT;
ALTER TABLE tax_rates ADD COLUMN tax_type TEXT;
-- A JSON object of strings.
ALTER TABLE tax_rates ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tax_rates ADD COLUMN active_from BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tax_rates ADD COLUMN archived_at BIGINT;
UPDATE tax_rates SET active_from = created_at;
UPDATE tax_rates SET archived_at = updated_at WHERE NOT active;
CREATE INDEX tax_rates_page ON tax_rates (organization_id, livemode, created_at, id);

-- Stripe's tax_id_collection: the tax ids a buyer buying as a business gave (a JSON array of
-- {"type", "value"}), kept on the session once paid.
ALTER TABLE checkout_sessions ADD COLUMN customer_tax_ids TEXT;
