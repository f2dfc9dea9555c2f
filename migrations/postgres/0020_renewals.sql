-- Renewals (issue 26): at the end of each period a subscription's next period is invoiced over
-- all its items and the invoice charged to its default payment method, off session; a declined
-- charge is retried on a schedule while the subscription is past due, and after the last retry
-- the subscription is canceled or left unpaid, as the organization chose.

-- unpaid: every retry failed and the organization keeps such subscriptions (no more charges).
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'canceled'));
-- The invoice of the current period while it is unpaid, when it is next charged, and how many
-- charges of it failed; a worker holds the subscription (a lease) while it renews it.
ALTER TABLE subscriptions ADD COLUMN open_invoice_id TEXT REFERENCES invoices (id);
ALTER TABLE subscriptions ADD COLUMN collect_at BIGINT;
ALTER TABLE subscriptions ADD COLUMN failed_charges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN renewal_lease_until BIGINT;
CREATE INDEX subscriptions_period_due ON subscriptions (current_period_end)
    WHERE status IN ('trialing', 'active') AND open_invoice_id IS NULL;
CREATE INDEX subscriptions_collect_due ON subscriptions (collect_at) WHERE collect_at IS NOT NULL;

-- Test clocks: how far an organization's test mode runs ahead of real time, and what becomes of
-- a subscription whose every retry failed.
ALTER TABLE organizations ADD COLUMN test_clock_offset_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN renewal_failure_action TEXT NOT NULL DEFAULT 'cancel'
    CHECK (renewal_failure_action IN ('cancel', 'unpaid'));

-- A renewal invoice bills one period of its subscription, once.
ALTER TABLE invoices ADD COLUMN period_start BIGINT;
ALTER TABLE invoices ADD COLUMN period_end BIGINT;
CREATE UNIQUE INDEX invoices_period ON invoices (subscription_id, period_start)
    WHERE period_start IS NOT NULL;

-- What an invoice bills, line by line (renewal invoices: one line per subscription item).
CREATE TABLE invoice_lines (
    invoice_id   TEXT NOT NULL REFERENCES invoices (id),
    position     INTEGER NOT NULL CHECK (position >= 0),
    price_id     TEXT REFERENCES prices (id),
    description  TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity >= 1),
    unit_amount  BIGINT NOT NULL CHECK (unit_amount >= 0),
    amount       BIGINT NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

-- Each charge of a renewal invoice, recorded (charging) before the processor is asked, under
-- its id as the processor's idempotency key; a lost answer is looked up under the same key.
CREATE TABLE renewal_charges (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    subscription_id      TEXT NOT NULL REFERENCES subscriptions (id),
    invoice_id           TEXT NOT NULL REFERENCES invoices (id),
    payment_method_id    TEXT REFERENCES payment_methods (id),
    processor            TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('charging', 'processing', 'succeeded', 'declined')),
    amount               BIGINT NOT NULL CHECK (amount >= 0),
    currency             TEXT NOT NULL,
    processor_reference  TEXT,
    decline_code         TEXT,
    decline_message      TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
-- at most one charge of an invoice in flight
CREATE UNIQUE INDEX renewal_charges_in_flight ON renewal_charges (invoice_id)
    WHERE status IN ('charging', 'processing');
CREATE INDEX renewal_charges_subscription ON renewal_charges (subscription_id, created_at);

-- A renewal's payment comes from its renewal charge, not from a checkout's attempt.
ALTER TABLE payments ALTER COLUMN attempt_id DROP NOT NULL;
ALTER TABLE payments ADD COLUMN renewal_charge_id TEXT REFERENCES renewal_charges (id);
CREATE UNIQUE INDEX payments_renewal_charge ON payments (renewal_charge_id)
    WHERE renewal_charge_id IS NOT NULL;
ALTER TABLE payments ADD CONSTRAINT payments_one_source
    CHECK ((attempt_id IS NULL) <> (renewal_charge_id IS NULL));
-- A customer's page in the dashboard lists their payments.
CREATE INDEX payments_customer ON payments (customer_id, created_at);
