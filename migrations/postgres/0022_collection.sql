-- What a checkout collects besides an email and a payment (Stripe's billing_address_collection,
-- shipping_address_collection and phone_number_collection, as JSON; NULL for the default of only
-- what card networks check), and what the buyer gave: kept on the session, the customer and the
-- purchase.
ALTER TABLE checkout_sessions ADD COLUMN collection TEXT;
ALTER TABLE checkout_sessions ADD COLUMN customer_phone TEXT;
ALTER TABLE checkout_sessions ADD COLUMN shipping_details TEXT;
ALTER TABLE customers ADD COLUMN phone TEXT;
ALTER TABLE customers ADD COLUMN shipping TEXT;
ALTER TABLE purchases ADD COLUMN phone TEXT;
ALTER TABLE purchases ADD COLUMN shipping_details TEXT;
-- Whether a saved payment method is offered to its customer again at later checkouts (Stripe's
-- allow_redisplay): 'always' when the buyer ticked "save for next time"; NULL ('limited') for a
-- method kept only for a subscription's renewals.
ALTER TABLE payment_methods ADD COLUMN allow_redisplay TEXT;
