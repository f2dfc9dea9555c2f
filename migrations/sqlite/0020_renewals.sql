-- Renewals (issue 26): see the PostgreSQL migration of the same number for what each part is for.
--
-- Two changes loosen a constraint: subscriptions may be `unpaid`, and a payment's attempt_id may be
-- null (a renewal's payment comes from its renewal charge). SQLite cannot alter a constraint, and
-- the rebuild it documents for other changes needs foreign keys off, which cannot be switched
-- inside the transaction a migration runs in. For removing or widening a CHECK or a NOT NULL it
-- documents a simpler procedure, which changes no stored row: the table's definition is edited
-- in sqlite_schema (writable_schema), and the schema is reloaded (RESET); the DDL after it moves
-- the schema version on, so that every other connection reloads it too. Each edit is checked
-- before the migration commits: a definition that did not change fails the migration.

ALTER TABLE organizations ADD COLUMN test_clock_offset_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN renewal_failure_action TEXT NOT NULL DEFAULT 'cancel'
    CHECK (renewal_failure_action IN ('cancel', 'unpaid'));

PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql,
    'CHECK (status IN (''incomplete'', ''trialing'', ''active'', ''past_due'', ''canceled''))',
    'CHECK (status IN (''incomplete'', ''trialing'', ''active'', ''past_due'', ''unpaid'', ''canceled''))')
WHERE type = 'table' AND name = 'subscriptions';
UPDATE sqlite_schema
SET sql = replace(sql,
    'attempt_id           TEXT NOT NULL REFERENCES payment_attempts (id)',
    'attempt_id           TEXT REFERENCES payment_attempts (id)')
WHERE type = 'table' AND name = 'payments';
PRAGMA writable_schema = RESET;

CREATE TEMP TABLE migration_0020_check (edited INTEGER NOT NULL CHECK (edited = 1));
INSERT INTO migration_0020_check
SELECT COUNT(*) FROM sqlite_schema
WHERE type = 'table' AND name = 'subscriptions' AND sql LIKE '%''past_due'', ''unpaid'', ''canceled''%';
INSERT INTO migration_0020_check
SELECT COUNT(*) FROM sqlite_schema
WHERE type = 'table' AND name = 'payments' AND sql LIKE '%attempt_id           TEXT REFERENCES%';
DROP TABLE migration_0020_check;

ALTER TABLE subscriptions ADD COLUMN open_invoice_id TEXT REFERENCES invoices (id);
ALTER TABLE subscriptions ADD COLUMN collect_at INTEGER;
ALTER TABLE subscriptions ADD COLUMN failed_charges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN renewal_lease_until INTEGER;
CREATE INDEX subscriptions_period_due ON subscriptions (current_period_end)
    WHERE status IN ('trialing', 'active') AND open_invoice_id IS NULL;
CREATE INDEX subscriptions_collect_due ON subscriptions (collect_at) WHERE collect_at IS NOT NULL;

ALTER TABLE invoices ADD COLUMN period_start INTEGER;
ALTER TABLE invoices ADD COLUMN period_end INTEGER;
CREATE UNIQUE INDEX invoices_period ON invoices (subscription_id, period_start)
    WHERE period_start IS NOT NULL;

CREATE TABLE invoice_lines (
    invoice_id   TEXT NOT NULL REFERENCES invoices (id),
    position     INTEGER NOT NULL CHECK (position >= 0),
    price_id     TEXT REFERENCES prices (id),
    description  TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity >= 1),
    unit_amount  INTEGER NOT NULL CHECK (unit_amount >= 0),
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    currency     TEXT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

CREATE TABLE renewal_charges (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    subscription_id      TEXT NOT NULL REFERENCES subscriptions (id),
    invoice_id           TEXT NOT NULL REFERENCES invoices (id),
    payment_method_id    TEXT REFERENCES payment_methods (id),
    processor            TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('charging', 'processing', 'succeeded', 'declined')),
    amount               INTEGER NOT NULL CHECK (amount >= 0),
    currency             TEXT NOT NULL,
    processor_reference  TEXT,
    decline_code         TEXT,
    decline_message      TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX renewal_charges_in_flight ON renewal_charges (invoice_id)
    WHERE status IN ('charging', 'processing');
CREATE INDEX renewal_charges_subscription ON renewal_charges (subscription_id, created_at);

ALTER TABLE payments ADD COLUMN renewal_charge_id TEXT REFERENCES renewal_charges (id);
CREATE UNIQUE INDEX payments_renewal_charge ON payments (renewal_charge_id)
    WHERE renewal_charge_id IS NOT NULL;
-- A customer's page in the dashboard lists their payments.
CREATE INDEX payments_customer ON payments (customer_id, created_at);
