-- The language a customer last paid in (Stripe's customer.preferred_locales): the mail kassa sends
-- them speaks it.
ALTER TABLE customers ADD COLUMN preferred_locale TEXT;
