-- The language the merchant chose for a session's page (Stripe's checkout.session.locale): a
-- language tag; none means the buyer's browser decides.
ALTER TABLE checkout_sessions ADD COLUMN locale TEXT;
