-- What Zenskar-style checkouts add to a session: the plan it sells (a plan-based contract), the
-- contract's start, how the merchant confirmed it (charge_immediately, charge_when_due,
-- no_payment), and whether the merchant cancelled it (as opposed to its time running out).
-- Also the merchant's own reference for a session (Stripe's client_reference_id).
ALTER TABLE checkout_sessions ADD COLUMN plan_id TEXT;
ALTER TABLE checkout_sessions ADD COLUMN starts_at INTEGER;
ALTER TABLE checkout_sessions ADD COLUMN confirmation TEXT;
ALTER TABLE checkout_sessions ADD COLUMN confirmed_at INTEGER;
ALTER TABLE checkout_sessions ADD COLUMN cancelled_at INTEGER;
ALTER TABLE checkout_sessions ADD COLUMN client_reference_id TEXT;
