-- A secret of this kassa installation (issue 25), made once by the first kassa that needs it and
-- shared by every instance on this database: the key that keyed digests and signatures are
-- derived from, one per purpose (store::installation). Card fingerprints are keyed with it, so
-- that a fingerprint cannot be brute-forced back to its card number; messages a redirect carries
-- to a page are signed with it, so that only kassa's own are shown.
CREATE TABLE installation_secrets (
    name        TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
