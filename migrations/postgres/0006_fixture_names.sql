-- Names of what fixture files created (POST /_local/fixtures, --fixtures), PostgreSQL flavour; keep in
-- step with migrations/sqlite/0006_fixture_names.sql. Loading a file again skips the entries whose
-- name is here. Part of the state: reset empties it, snapshots keep it.

CREATE TABLE fixture_names (
    -- The file's section: QualificationTypes, Workers, Qualifications, HITTypes, HITs, Assignments.
    section TEXT NOT NULL,
    -- The entry's name in that section.
    name    TEXT NOT NULL,
    -- What the entry created (a type, HIT type, HIT or assignment id; the worker id for Workers).
    id      TEXT NOT NULL,
    PRIMARY KEY (section, name)
);
