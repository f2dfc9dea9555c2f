-- Refunds of payments, whole or partial. A refund is recorded (and its amount reserved on its
-- payment, by a guarded update that keeps refunded_amount within amount) before the processor is
-- asked, under the refund's id as the processor's idempotency key: kassa never gives back money
-- it has not recorded, nor more than was paid, however many refunds run at once.
ALTER TABLE payments ADD COLUMN refunded_amount INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN refunded_at INTEGER;

CREATE TABLE refunds (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    payment_id           TEXT NOT NULL REFERENCES payments (id),
    amount               INTEGER NOT NULL CHECK (amount > 0),
    currency             TEXT NOT NULL,
    -- pending: reserved, the processor not yet sure to have it; succeeded; failed: the
    -- processor refused it, and its amount was released
    status               TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    reason               TEXT,
    processor_reference  TEXT,
    failure_message      TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
CREATE INDEX refunds_pending ON refunds (status, updated_at);

-- The test processor's refunds, partial ones included: its own ledger, as for its charges.
CREATE TABLE test_processor_refunds (
    idempotency_key   TEXT PRIMARY KEY NOT NULL,
    charge_reference  TEXT NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount > 0),
    reference         TEXT NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL
);
CREATE INDEX test_processor_refunds_charge ON test_processor_refunds (charge_reference);
