-- Business entities: the legal sellers of an organization (Zenskar's), which a guest checkout
-- names as who bills the buyer.
CREATE TABLE business_entities (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    name             TEXT NOT NULL,
    legal_name       TEXT,
    -- ISO 3166-1 alpha-2
    country          TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX business_entities_list ON business_entities (organization_id, livemode, created_at, id);
