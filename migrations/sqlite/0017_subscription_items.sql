-- What a subscription charges for each period: one item per recurring price it was sold with.
-- unit_amount and currency are the price's when the item was added (a price's amount can change
-- for new buyers; a subscriber keeps what they bought until the merchant moves them).
CREATE TABLE subscription_items (
    id               TEXT PRIMARY KEY NOT NULL,
    subscription_id  TEXT NOT NULL REFERENCES subscriptions (id),
    price_id         TEXT NOT NULL REFERENCES prices (id),
    quantity         INTEGER NOT NULL CHECK (quantity >= 1),
    unit_amount      INTEGER NOT NULL CHECK (unit_amount >= 0),
    currency         TEXT NOT NULL,
    -- the item's place on its subscription, from 0, as its line's in the checkout
    position         INTEGER NOT NULL CHECK (position >= 0),
    created_at       INTEGER NOT NULL,
    -- set when the item no longer bills (kept for the history of what was charged)
    expired_at       INTEGER,
    UNIQUE (subscription_id, position)
);

-- Every subscription made before items existed sold one price: it becomes the one item.
INSERT INTO subscription_items (id, subscription_id, price_id, quantity, unit_amount, currency,
                                position, created_at)
SELECT 'si_' || substr(s.id, 5), s.id, s.price_id, s.quantity, p.unit_amount, p.currency, 0, s.created_at
FROM subscriptions s JOIN prices p ON p.id = s.price_id;
