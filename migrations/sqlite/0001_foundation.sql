-- Organizations, their API keys, and dashboard users.
-- Timestamps are epoch milliseconds; money is integer minor units beside its currency.

CREATE TABLE organizations (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL,
    -- ISO 4217, lower case: the currency of prices created without one (Flowglad's API)
    default_currency  TEXT NOT NULL DEFAULT 'usd',
    created_at        INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    -- what the dashboard shows of the key: `sk_test_Ab12…`
    display_prefix   TEXT NOT NULL,
    -- SHA-256 of the whole secret; the secret itself is never stored
    secret_hash      TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    -- stored lower-cased, so the unique index is case-insensitive
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id          TEXT NOT NULL REFERENCES users (id),
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    role             TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);

-- What `kassa demo` made, so that running it again prints the same organization, login and key.
-- Only the demo organization (test mode) is ever recorded here.
CREATE TABLE demo_fixture (
    singleton        INTEGER PRIMARY KEY NOT NULL CHECK (singleton = 1),
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    user_email       TEXT NOT NULL,
    user_password    TEXT NOT NULL,
    secret_key       TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
