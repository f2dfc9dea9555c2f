-- Webhook endpoints and their deliveries. An event is fanned out to every matching endpoint in the
-- transaction that records it, so a delivery exists for every event that happened and for no other;
-- any instance may then claim a due delivery (a lease: locked_until) and make one attempt.
CREATE TABLE webhook_endpoints (
    id                TEXT PRIMARY KEY NOT NULL,
    organization_id   TEXT NOT NULL REFERENCES organizations (id),
    livemode          BOOLEAN NOT NULL,
    pricing_model_id  TEXT NOT NULL REFERENCES pricing_models (id),
    name              TEXT NOT NULL,
    url               TEXT NOT NULL,
    -- JSON array of event type names; "*" stands for every type
    filter_types      TEXT NOT NULL,
    -- signs each delivery (HMAC-SHA256): kept as it is, since kassa must sign with it
    secret            TEXT NOT NULL,
    active            BOOLEAN NOT NULL,
    -- the first failed attempt since the last delivered one; NULL while the endpoint answers
    failing_since     BIGINT,
    -- set when kassa turned the endpoint off because it failed for days
    disabled_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (organization_id, livemode, created_at, id);

CREATE TABLE webhook_deliveries (
    id                TEXT PRIMARY KEY NOT NULL,
    endpoint_id       TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id          TEXT NOT NULL REFERENCES events (id),
    -- pending: an attempt is due at next_attempt_at; delivered: a 2xx came back;
    -- failed: every attempt of the schedule failed
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL,
    next_attempt_at   BIGINT,
    -- an instance making an attempt holds the delivery until then; a dead one lets go by itself
    locked_until      BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Every attempt, as the endpoint answered it (or why it did not).
CREATE TABLE webhook_attempts (
    id                TEXT PRIMARY KEY NOT NULL,
    delivery_id       TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at      BIGINT NOT NULL,
    -- NULL when no HTTP answer came (refused, timed out)
    status_code       INTEGER,
    latency_ms        BIGINT NOT NULL,
    -- the start of the answer's body, or why there was none
    response          TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at);
