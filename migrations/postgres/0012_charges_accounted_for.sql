-- Every charge accounted for (issue 24, part 2).
--
-- A charge whose answer was lost is asked about again: a charging attempt is due for that at
-- settle_after, like a processing one for its settlement. A charge given back because its session
-- had ended another way keeps the processor's reference of the refund.
ALTER TABLE payment_attempts ADD COLUMN refund_reference TEXT;
DROP INDEX payment_attempts_due;
CREATE INDEX payment_attempts_due ON payment_attempts (settle_after) WHERE status IN ('processing', 'charging');

-- The test-mode processor's own ledger, as a real processor keeps one on its side: what it
-- answered to each idempotency key, so that a key seen again gets the same answer and moves no
-- more money, a lost answer can be looked up, and a key looked up before any charge is closed.
-- kassa's own tables never read it; it lives here so that every kassa process sharing the
-- database (and one restarted) sees the same processor.
CREATE TABLE test_processor_charges (
    idempotency_key   TEXT PRIMARY KEY NOT NULL,
    -- the charge's reference; null for a decline or a closed key
    reference         TEXT UNIQUE,
    amount            BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('succeeded', 'declined', 'requires_action', 'processing', 'failed', 'refunded', 'closed')),
    -- JSON of what the charge came to (payments::ChargeOutcome); null for a closed key
    answer            TEXT,
    refund_reference  TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
