-- Payment links: reusable addresses (/l/{id}) that make a checkout session for every visit, from
-- the link's template (its lines and what the page collects, as JSON), while the link is active.
CREATE TABLE payment_links (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    livemode        BOOLEAN NOT NULL,
    active          BOOLEAN NOT NULL,
    template        TEXT NOT NULL,
    metadata        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX payment_links_list ON payment_links (organization_id, livemode, created_at, id);
-- The link a session was made from (Stripe's checkout.session.payment_link).
ALTER TABLE checkout_sessions ADD COLUMN payment_link_id TEXT;
