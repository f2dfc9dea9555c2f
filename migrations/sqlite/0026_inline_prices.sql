-- Prices and products a checkout session's request described with its lines (Stripe's
-- `line_items[][price_data]` and its `product_data`): made for that session alone, never listed in
-- the catalog, and sellable only in the session named here.
ALTER TABLE products ADD COLUMN inline_for TEXT;
ALTER TABLE prices ADD COLUMN inline_for TEXT;
