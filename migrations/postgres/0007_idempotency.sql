-- Idempotency keys of API POSTs: the first answer to a key, replayed to its retries for 24 hours.
CREATE TABLE idempotency_keys (
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    livemode          BOOLEAN NOT NULL,
    idempotency_key   TEXT NOT NULL,
    -- SHA-256 of the method, path and body: a retry must send the same request
    fingerprint       TEXT NOT NULL,
    -- NULL while the first request is in flight
    status_code       INTEGER,
    content_type      TEXT,
    body              TEXT,
    -- a first request that died leaves its key to a retry after this time
    locked_until      BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (organization_id, livemode, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
