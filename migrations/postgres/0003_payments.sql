-- Paying: attempts at a session, payment methods, purchases, invoices and payments.

-- A confirm claims the session for a while (a lease), so that of concurrent confirms only one
-- reaches the processor; the latest attempt is remembered so that a late outcome of an older
-- attempt cannot undo a newer one.
ALTER TABLE checkout_sessions ADD COLUMN lock_token TEXT;
ALTER TABLE checkout_sessions ADD COLUMN lock_expires_at BIGINT;
ALTER TABLE checkout_sessions ADD COLUMN latest_attempt_id TEXT;

CREATE TABLE payment_attempts (
    id                   TEXT PRIMARY KEY NOT NULL,
    session_id           TEXT NOT NULL REFERENCES checkout_sessions (id),
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('started', 'requires_action', 'processing', 'succeeded', 'declined', 'failed')),
    payment_method_type  TEXT NOT NULL,
    amount               BIGINT NOT NULL CHECK (amount >= 0),
    currency             TEXT,
    -- what was bought and from whom (JSON of service::checkout::PaymentPlan): never card data
    plan                 TEXT NOT NULL,
    -- brand, last4, expiry, fingerprint (JSON of payments::MethodSummary)
    method_summary       TEXT,
    processor            TEXT NOT NULL,
    processor_reference  TEXT,
    action               TEXT CHECK (action IN ('three_d_secure', 'approval')),
    decline_code         TEXT,
    decline_message      TEXT,
    -- when a processing (asynchronous) payment is next asked how it settled
    settle_after         BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX payment_attempts_session ON payment_attempts (session_id, created_at);
CREATE INDEX payment_attempts_due ON payment_attempts (settle_after) WHERE status = 'processing';

CREATE TABLE payment_methods (
    id                TEXT PRIMARY KEY NOT NULL,
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    livemode          BOOLEAN NOT NULL,
    pricing_model_id  TEXT NOT NULL REFERENCES pricing_models (id),
    customer_id       TEXT NOT NULL REFERENCES customers (id),
    method_type       TEXT NOT NULL,
    brand             TEXT,
    last4             TEXT NOT NULL,
    exp_month         INTEGER,
    exp_year          INTEGER,
    fingerprint       TEXT NOT NULL,
    bank_name         TEXT,
    billing_details   TEXT NOT NULL,
    is_default        BOOLEAN NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX payment_methods_list ON payment_methods (organization_id, livemode, created_at, id);
CREATE INDEX payment_methods_customer ON payment_methods (customer_id);

CREATE TABLE purchases (
    id                    TEXT PRIMARY KEY NOT NULL,
    organization_id       TEXT NOT NULL REFERENCES organizations (id),
    livemode              BOOLEAN NOT NULL,
    pricing_model_id      TEXT NOT NULL REFERENCES pricing_models (id),
    customer_id           TEXT NOT NULL REFERENCES customers (id),
    session_id            TEXT NOT NULL REFERENCES checkout_sessions (id),
    price_id              TEXT NOT NULL REFERENCES prices (id),
    subscription_id       TEXT REFERENCES subscriptions (id),
    quantity              INTEGER NOT NULL CHECK (quantity >= 1),
    name                  TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('open', 'pending', 'failed', 'paid', 'refunded')),
    price_type            TEXT NOT NULL,
    first_invoice_value   BIGINT NOT NULL,
    total_purchase_value  BIGINT NOT NULL,
    billing_address       TEXT,
    metadata              TEXT,
    purchase_date         BIGINT NOT NULL,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
-- one purchase per session: a second finalization of a session cannot make another
CREATE UNIQUE INDEX purchases_session ON purchases (session_id);
CREATE INDEX purchases_list ON purchases (organization_id, livemode, created_at, id);

CREATE TABLE invoices (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    pricing_model_id     TEXT NOT NULL REFERENCES pricing_models (id),
    customer_id          TEXT NOT NULL REFERENCES customers (id),
    session_id           TEXT REFERENCES checkout_sessions (id),
    purchase_id          TEXT REFERENCES purchases (id),
    subscription_id      TEXT REFERENCES subscriptions (id),
    invoice_type         TEXT NOT NULL CHECK (invoice_type IN ('purchase', 'subscription')),
    invoice_number       TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    currency             TEXT NOT NULL,
    subtotal             BIGINT NOT NULL,
    discount             BIGINT NOT NULL,
    tax_amount           BIGINT NOT NULL,
    total                BIGINT NOT NULL,
    tax_country          TEXT,
    tax_rate_millionths  INTEGER,
    invoice_date         BIGINT NOT NULL,
    due_date             BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX invoices_number ON invoices (organization_id, livemode, invoice_number);
CREATE INDEX invoices_list ON invoices (organization_id, livemode, created_at, id);
CREATE INDEX invoices_subscription ON invoices (subscription_id);

CREATE TABLE payments (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    pricing_model_id     TEXT NOT NULL REFERENCES pricing_models (id),
    customer_id          TEXT NOT NULL REFERENCES customers (id),
    session_id           TEXT REFERENCES checkout_sessions (id),
    attempt_id           TEXT NOT NULL REFERENCES payment_attempts (id),
    invoice_id           TEXT NOT NULL REFERENCES invoices (id),
    purchase_id          TEXT REFERENCES purchases (id),
    subscription_id      TEXT REFERENCES subscriptions (id),
    payment_method_id    TEXT REFERENCES payment_methods (id),
    payment_method_type  TEXT NOT NULL,
    amount               BIGINT NOT NULL CHECK (amount >= 0),
    currency             TEXT NOT NULL,
    subtotal             BIGINT NOT NULL,
    tax_amount           BIGINT NOT NULL,
    tax_country          TEXT,
    status               TEXT NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed', 'canceled')),
    description          TEXT,
    card_brand           TEXT,
    card_last4           TEXT,
    failure_code         TEXT,
    failure_message      TEXT,
    charge_date          BIGINT NOT NULL,
    settlement_date      BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
-- one payment per attempt: a retried finalization cannot charge twice in the books
CREATE UNIQUE INDEX payments_attempt ON payments (attempt_id);
CREATE INDEX payments_list ON payments (organization_id, livemode, created_at, id);
CREATE INDEX payments_session ON payments (session_id);
