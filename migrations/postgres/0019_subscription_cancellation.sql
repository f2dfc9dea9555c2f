-- A subscription set to end at the end of its period: it stays active (or trialing) until then,
-- when the background worker cancels it; uncancelling clears this.
ALTER TABLE subscriptions ADD COLUMN cancel_scheduled_at BIGINT;
CREATE INDEX subscriptions_cancel_due ON subscriptions (cancel_scheduled_at) WHERE cancel_scheduled_at IS NOT NULL;
