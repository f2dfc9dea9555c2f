-- Stripe as a processor (issue 24, part 3).
--
-- An organization's Stripe keys, per mode, sealed with the operator's KASSA_ENCRYPTION_KEY
-- (service::vault): the secret key kassa calls Stripe with, and the signing secret of the webhook
-- endpoint Stripe sends the organization's events to. What the dashboard shows of each is its hint
-- (its first characters).
CREATE TABLE processor_accounts (
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    processor            TEXT NOT NULL CHECK (processor IN ('stripe')),
    secret_key           TEXT NOT NULL,
    secret_key_hint      TEXT NOT NULL,
    webhook_secret       TEXT NOT NULL,
    webhook_secret_hint  TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    PRIMARY KEY (organization_id, livemode)
);

-- What takes the organization's test-mode payments: kassa's own test processor, or Stripe's
-- test mode with its test keys.
ALTER TABLE organizations ADD COLUMN test_mode_processor TEXT NOT NULL DEFAULT 'kassa'
    CHECK (test_mode_processor IN ('kassa', 'stripe'));

-- Where a processor sends the buyer for its step (Stripe's 3-D Secure page); kassa's own step
-- page when null.
ALTER TABLE payment_attempts ADD COLUMN action_url TEXT;
-- A processor's events name the charge by its reference.
CREATE INDEX payment_attempts_reference ON payment_attempts (processor_reference);

-- A saved method's ids at its processor (Stripe's customer and payment method), to charge it
-- again later.
ALTER TABLE payment_methods ADD COLUMN processor TEXT;
ALTER TABLE payment_methods ADD COLUMN processor_customer_id TEXT;
ALTER TABLE payment_methods ADD COLUMN processor_method_id TEXT;

-- A step the processor says has ended is asked about too, should the buyer not come back.
DROP INDEX payment_attempts_due;
CREATE INDEX payment_attempts_due ON payment_attempts (settle_after)
    WHERE status IN ('processing', 'charging', 'requires_action');
