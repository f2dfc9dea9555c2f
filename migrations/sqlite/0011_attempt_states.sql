-- A payment attempt's status follows its state machine (domain::payment::AttemptStatus):
-- `started` becomes `charging` (recorded before a processor is asked to move money), and three
-- states join: `created` (nothing goes to a processor), `canceled` (replaced before the buyer
-- acted) and `refunded` (a charge given back because its session had ended another way).
--
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt. `payments` refers to
-- it; with the foreign keys deferred to the commit, the rows dropped and inserted again here must
-- leave every reference whole, or the migration fails as a whole.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE payment_attempts_before AS SELECT * FROM payment_attempts;
DROP TABLE payment_attempts;

CREATE TABLE payment_attempts (
    id                   TEXT PRIMARY KEY NOT NULL,
    session_id           TEXT NOT NULL REFERENCES checkout_sessions (id),
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('created', 'charging', 'requires_action', 'processing', 'succeeded', 'declined', 'failed', 'canceled', 'refunded')),
    payment_method_type  TEXT NOT NULL,
    amount               INTEGER NOT NULL CHECK (amount >= 0),
    currency             TEXT,
    -- what was bought and from whom (JSON of service::payment::PaymentPlan): never card data
    plan                 TEXT NOT NULL,
    -- brand, last4, expiry, fingerprint (JSON of payments::MethodSummary)
    method_summary       TEXT,
    processor            TEXT NOT NULL,
    processor_reference  TEXT,
    action               TEXT CHECK (action IN ('three_d_secure', 'approval')),
    decline_code         TEXT,
    decline_message      TEXT,
    -- when a processing (asynchronous) payment is next asked how it settled
    settle_after         INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

INSERT INTO payment_attempts (id, session_id, organization_id, livemode, status, payment_method_type,
    amount, currency, plan, method_summary, processor, processor_reference, action, decline_code,
    decline_message, settle_after, created_at, updated_at)
SELECT id, session_id, organization_id, livemode,
    CASE status WHEN 'started' THEN 'charging' ELSE status END,
    payment_method_type, amount, currency, plan, method_summary, processor, processor_reference,
    action, decline_code, decline_message, settle_after, created_at, updated_at
FROM payment_attempts_before;
DROP TABLE payment_attempts_before;

CREATE INDEX payment_attempts_session ON payment_attempts (session_id, created_at);
CREATE INDEX payment_attempts_due ON payment_attempts (settle_after) WHERE status = 'processing';
