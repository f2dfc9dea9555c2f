-- Mail to buyers (issue 26): receipts, failed renewals, trials about to end. A mail is queued in
-- the transaction that records what it is about (one per kind and object: `about`), with the
-- facts it tells (JSON); a worker renders it with the merchant's branding and sends it over SMTP,
-- retrying on a schedule, or, when kassa has no SMTP server, keeps it (status kept) for the
-- dashboard to show.
CREATE TABLE mails (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    customer_id      TEXT REFERENCES customers (id),
    kind             TEXT NOT NULL CHECK (kind IN ('receipt', 'renewal_failed', 'trial_ending')),
    about            TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    facts            TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'kept', 'failed')),
    subject          TEXT,
    text_body        TEXT,
    html_body        TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    UNIQUE (kind, about)
);
CREATE INDEX mails_due ON mails (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mails_customer ON mails (customer_id, created_at);
