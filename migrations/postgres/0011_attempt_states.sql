-- A payment attempt's status follows its state machine (domain::payment::AttemptStatus):
-- `started` becomes `charging` (recorded before a processor is asked to move money), and three
-- states join: `created` (nothing goes to a processor), `canceled` (replaced before the buyer
-- acted) and `refunded` (a charge given back because its session had ended another way).
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
UPDATE payment_attempts SET status = 'charging' WHERE status = 'started';
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check CHECK (status IN
    ('created', 'charging', 'requires_action', 'processing', 'succeeded', 'declined', 'failed', 'canceled', 'refunded'));
