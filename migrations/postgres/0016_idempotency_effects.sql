-- Idempotency keys are held by one request at a time, named by a token the holder compares on
-- every write (so that a request whose key a retry took over cannot record anything), and name the
-- object their request created, written in the same transaction as the object (so that a retry of
-- a request that died between its effect and its answer finds the object instead of making another).
ALTER TABLE idempotency_keys ADD COLUMN lock_token TEXT;
ALTER TABLE idempotency_keys ADD COLUMN effect_id TEXT;
