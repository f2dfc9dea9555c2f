-- Organizations, their API keys, dashboard users, and the catalog's products and prices.
-- Timestamps are epoch milliseconds; money is integer minor units beside its currency.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
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
    created_at       BIGINT NOT NULL,
    revoked_at       BIGINT
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    -- stored lower-cased, so the unique index is case-insensitive
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id          TEXT NOT NULL REFERENCES users (id),
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    role             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);

CREATE TABLE products (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT,
    active           BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX products_organization ON products (organization_id, livemode, created_at, id);

CREATE TABLE prices (
    id                        TEXT PRIMARY KEY NOT NULL,
    organization_id           TEXT NOT NULL REFERENCES organizations (id),
    product_id                TEXT NOT NULL REFERENCES products (id),
    livemode                  BOOLEAN NOT NULL,
    name                      TEXT,
    slug                      TEXT NOT NULL,
    price_type                TEXT NOT NULL CHECK (price_type IN ('single_payment', 'subscription')),
    unit_amount               BIGINT NOT NULL CHECK (unit_amount >= 0),
    currency                  TEXT NOT NULL,
    interval_unit             TEXT CHECK (interval_unit IN ('day', 'week', 'month', 'year')),
    interval_count            INTEGER CHECK (interval_count >= 1),
    trial_period_days         INTEGER CHECK (trial_period_days >= 0),
    active                    BOOLEAN NOT NULL,
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    CHECK ((price_type = 'subscription') = (interval_unit IS NOT NULL AND interval_count IS NOT NULL))
);
-- test and live catalogs are apart, so one slug can name the same price in both
CREATE UNIQUE INDEX prices_slug ON prices (organization_id, livemode, slug);
CREATE INDEX prices_product ON prices (product_id);
CREATE INDEX prices_organization ON prices (organization_id, livemode, created_at, id);

-- What `kassa demo` made, so that running it again prints the same organization, login and key.
-- Only the demo organization (test mode) is ever recorded here.
CREATE TABLE demo_fixture (
    singleton        SMALLINT PRIMARY KEY NOT NULL CHECK (singleton = 1),
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    user_email       TEXT NOT NULL,
    user_password    TEXT NOT NULL,
    secret_key       TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
