-- The demo's dashboard password is no longer kept in clear (issue 25): `kassa demo` makes a fresh
-- one each run, stores only its Argon2 hash (users.password_hash) and prints it. The column stays,
-- empty, for databases an older kassa may still read.
UPDATE demo_fixture SET user_password = '';
