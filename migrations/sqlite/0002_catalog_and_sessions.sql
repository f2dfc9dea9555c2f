-- The catalog (pricing models, products, prices, coupons, promotion codes, tax rates, plans),
-- customers, subscriptions, and checkout sessions with their line items.
-- JSON values are stored as text in both engines.

CREATE TABLE pricing_models (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    name             TEXT NOT NULL,
    is_default       BOOLEAN NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX pricing_models_default ON pricing_models (organization_id, livemode) WHERE is_default;

CREATE TABLE products (
    id                       TEXT PRIMARY KEY NOT NULL,
    organization_id          TEXT NOT NULL REFERENCES organizations (id),
    livemode                 BOOLEAN NOT NULL,
    pricing_model_id         TEXT NOT NULL REFERENCES pricing_models (id),
    name                     TEXT NOT NULL,
    description              TEXT,
    image_url                TEXT,
    slug                     TEXT NOT NULL,
    is_default               BOOLEAN NOT NULL,
    singular_quantity_label  TEXT,
    plural_quantity_label    TEXT,
    active                   BOOLEAN NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);
CREATE UNIQUE INDEX products_slug ON products (pricing_model_id, slug);
CREATE INDEX products_list ON products (organization_id, livemode, created_at, id);

CREATE TABLE prices (
    id                 TEXT PRIMARY KEY NOT NULL,
    organization_id    TEXT NOT NULL REFERENCES organizations (id),
    livemode           BOOLEAN NOT NULL,
    pricing_model_id   TEXT NOT NULL REFERENCES pricing_models (id),
    product_id         TEXT NOT NULL REFERENCES products (id),
    name               TEXT,
    -- unique per organization and mode where given
    slug               TEXT,
    price_type         TEXT NOT NULL CHECK (price_type IN ('single_payment', 'subscription')),
    unit_amount        INTEGER NOT NULL CHECK (unit_amount >= 0),
    currency           TEXT NOT NULL,
    interval_unit      TEXT CHECK (interval_unit IN ('day', 'week', 'month', 'year')),
    interval_count     INTEGER CHECK (interval_count >= 1),
    trial_period_days  INTEGER CHECK (trial_period_days >= 0),
    is_default         BOOLEAN NOT NULL,
    active             BOOLEAN NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((price_type = 'subscription') = (interval_unit IS NOT NULL AND interval_count IS NOT NULL))
);
-- test and live catalogs are apart, so one slug can name the same price in both
CREATE UNIQUE INDEX prices_slug ON prices (organization_id, livemode, slug);
CREATE INDEX prices_product ON prices (product_id, created_at);
CREATE INDEX prices_list ON prices (organization_id, livemode, created_at, id);

CREATE TABLE customers (
    id                   TEXT PRIMARY KEY NOT NULL,
    organization_id      TEXT NOT NULL REFERENCES organizations (id),
    livemode             BOOLEAN NOT NULL,
    pricing_model_id     TEXT NOT NULL REFERENCES pricing_models (id),
    -- the merchant's own id for the customer, unique per organization and mode where given
    external_id          TEXT,
    email                TEXT,
    name                 TEXT,
    billing_address      TEXT,
    archived             BOOLEAN NOT NULL,
    logo_url             TEXT,
    icon_url             TEXT,
    domain               TEXT,
    user_id              TEXT,
    invoice_number_base  TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE UNIQUE INDEX customers_external_id ON customers (organization_id, livemode, external_id);
CREATE INDEX customers_list ON customers (organization_id, livemode, created_at, id);

CREATE TABLE coupons (
    id                      TEXT PRIMARY KEY NOT NULL,
    organization_id         TEXT NOT NULL REFERENCES organizations (id),
    livemode                BOOLEAN NOT NULL,
    name                    TEXT,
    -- exactly one of: a rate in millionths (100% = 1000000), or an amount with its currency
    percent_off_millionths  INTEGER CHECK (percent_off_millionths BETWEEN 1 AND 1000000),
    amount_off              INTEGER CHECK (amount_off > 0),
    currency                TEXT,
    duration                TEXT NOT NULL CHECK (duration IN ('once', 'repeating', 'forever')),
    duration_in_months      INTEGER CHECK (duration_in_months >= 1),
    max_redemptions         INTEGER CHECK (max_redemptions >= 1),
    times_redeemed          INTEGER NOT NULL DEFAULT 0,
    redeem_by               INTEGER,
    active                  BOOLEAN NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    CHECK ((percent_off_millionths IS NULL) <> (amount_off IS NULL)),
    CHECK ((amount_off IS NULL) = (currency IS NULL)),
    CHECK ((duration = 'repeating') = (duration_in_months IS NOT NULL))
);
CREATE INDEX coupons_list ON coupons (organization_id, livemode, created_at, id);

CREATE TABLE promotion_codes (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    coupon_id        TEXT NOT NULL REFERENCES coupons (id),
    -- upper-cased: buyers' codes match without regard to case
    code             TEXT NOT NULL,
    active           BOOLEAN NOT NULL,
    max_redemptions  INTEGER CHECK (max_redemptions >= 1),
    times_redeemed   INTEGER NOT NULL DEFAULT 0,
    expires_at       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX promotion_codes_code ON promotion_codes (organization_id, livemode, code);

CREATE TABLE tax_rates (
    id                     TEXT PRIMARY KEY NOT NULL,
    organization_id        TEXT NOT NULL REFERENCES organizations (id),
    livemode               BOOLEAN NOT NULL,
    display_name           TEXT NOT NULL,
    percentage_millionths  INTEGER NOT NULL CHECK (percentage_millionths BETWEEN 0 AND 1000000),
    inclusive              BOOLEAN NOT NULL,
    -- ISO 3166-1 alpha-2; NULL applies everywhere without a rate of its own
    country                TEXT,
    active                 BOOLEAN NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX tax_rates_organization ON tax_rates (organization_id, livemode);

CREATE TABLE plans (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT,
    currency         TEXT NOT NULL,
    active           BOOLEAN NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX plans_list ON plans (organization_id, livemode, created_at, id);

CREATE TABLE plan_items (
    plan_id   TEXT NOT NULL REFERENCES plans (id),
    position  INTEGER NOT NULL,
    price_id  TEXT NOT NULL REFERENCES prices (id),
    quantity  INTEGER NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (plan_id, position)
);

CREATE TABLE subscriptions (
    id                         TEXT PRIMARY KEY NOT NULL,
    organization_id            TEXT NOT NULL REFERENCES organizations (id),
    livemode                   BOOLEAN NOT NULL,
    customer_id                TEXT NOT NULL REFERENCES customers (id),
    price_id                   TEXT NOT NULL REFERENCES prices (id),
    quantity                   INTEGER NOT NULL CHECK (quantity >= 1),
    status                     TEXT NOT NULL CHECK (status IN ('incomplete', 'trialing', 'active', 'past_due', 'canceled')),
    name                       TEXT,
    default_payment_method_id  TEXT,
    billing_cycle_anchor       INTEGER,
    current_period_start       INTEGER,
    current_period_end         INTEGER,
    trial_end                  INTEGER,
    metadata                   TEXT,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    canceled_at                INTEGER
);
CREATE INDEX subscriptions_list ON subscriptions (organization_id, livemode, created_at, id);
CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

CREATE TABLE checkout_sessions (
    id                                  TEXT PRIMARY KEY NOT NULL,
    organization_id                     TEXT NOT NULL REFERENCES organizations (id),
    livemode                            BOOLEAN NOT NULL,
    pricing_model_id                    TEXT NOT NULL REFERENCES pricing_models (id),
    kind                                TEXT NOT NULL CHECK (kind IN ('purchase', 'add_payment_method', 'activate_subscription')),
    mode                                TEXT NOT NULL CHECK (mode IN ('payment', 'subscription', 'setup')),
    status                              TEXT NOT NULL CHECK (status IN ('open', 'pending', 'succeeded', 'failed', 'expired')),
    currency                            TEXT,
    customer_id                         TEXT REFERENCES customers (id),
    customer_external_id                TEXT,
    anonymous                           BOOLEAN NOT NULL,
    guest                               TEXT,
    customer_email                      TEXT,
    customer_name                       TEXT,
    billing_address                     TEXT,
    success_url                         TEXT,
    cancel_url                          TEXT,
    pending_url                         TEXT,
    payment_method_types                TEXT NOT NULL,
    payment_method_type                 TEXT,
    allow_promotion_codes               BOOLEAN NOT NULL,
    coupon_id                           TEXT REFERENCES coupons (id),
    promotion_code_id                   TEXT REFERENCES promotion_codes (id),
    discount_duration                   TEXT,
    trial_period_days                   INTEGER,
    preserve_billing_cycle_anchor       BOOLEAN NOT NULL,
    target_subscription_id              TEXT REFERENCES subscriptions (id),
    automatically_update_subscriptions  BOOLEAN,
    output_name                         TEXT,
    output_metadata                     TEXT,
    metadata                            TEXT NOT NULL,
    attribution                         TEXT,
    trace_id                            TEXT,
    amount_subtotal                     INTEGER NOT NULL,
    amount_discount                     INTEGER NOT NULL,
    amount_tax                          INTEGER NOT NULL,
    amount_total                        INTEGER NOT NULL,
    amount_due_today                    INTEGER NOT NULL,
    expires_at                          INTEGER NOT NULL,
    created_at                          INTEGER NOT NULL,
    updated_at                          INTEGER NOT NULL,
    completed_at                        INTEGER,
    purchase_id                         TEXT,
    invoice_id                          TEXT,
    subscription_id                     TEXT,
    payment_method_id                   TEXT
);
CREATE INDEX checkout_sessions_list ON checkout_sessions (organization_id, livemode, created_at, id);
CREATE INDEX checkout_sessions_open_expiry ON checkout_sessions (expires_at) WHERE status = 'open';

CREATE TABLE checkout_session_line_items (
    session_id          TEXT NOT NULL REFERENCES checkout_sessions (id),
    position            INTEGER NOT NULL,
    price_id            TEXT NOT NULL REFERENCES prices (id),
    product_id          TEXT NOT NULL REFERENCES products (id),
    description         TEXT NOT NULL,
    quantity            INTEGER NOT NULL CHECK (quantity >= 1),
    adjustable_minimum  INTEGER,
    adjustable_maximum  INTEGER,
    -- the price when the session was made; confirming re-reads the catalog
    unit_amount         INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    interval_unit       TEXT,
    interval_count      INTEGER,
    PRIMARY KEY (session_id, position)
);
