-- The merchant's terms of service (their branding): a checkout that asks buyers to accept them
-- (Stripe's `consent_collection[terms_of_service]`) links here.
ALTER TABLE organizations ADD COLUMN terms_url TEXT;
-- What the buyer answered to the session's questions (Stripe's `custom_fields`) and whether they
-- accepted the terms of service: JSON, written when the session completes.
ALTER TABLE checkout_sessions ADD COLUMN answers TEXT;
