-- Events: every state change of a checkout and of what it creates, written in the transaction
-- that makes the change (an outbox), so that none is lost and none is told that did not happen.
CREATE TABLE events (
    id               TEXT PRIMARY KEY NOT NULL,
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    livemode         BOOLEAN NOT NULL,
    event_type       TEXT NOT NULL,
    -- the id of the object the event is about, and that object as it was (JSON)
    object_id        TEXT NOT NULL,
    data             TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX events_list ON events (organization_id, livemode, created_at, id);
CREATE INDEX events_object ON events (object_id);
