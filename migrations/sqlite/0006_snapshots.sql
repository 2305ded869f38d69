-- Snapshots taken through /_local/snapshots (SQLite flavour; keep in step with
-- migrations/postgres/0005_snapshots.sql). This is the registry; a snapshot's rows live in
-- tables named snap_<id>_<table>, made with CREATE TABLE ... AS SELECT * FROM <table>.
-- Reset leaves the registry and those tables alone.

CREATE TABLE snapshots (
    name           TEXT PRIMARY KEY,
    -- Numbers the snapshot's tables (a name may hold any of A-Z a-z 0-9 _ . -).
    id             BIGINT NOT NULL UNIQUE,
    -- The virtual clock's reading when it was taken (epoch milliseconds).
    created_at     BIGINT NOT NULL,
    -- The latest migration applied when it was taken: rows restore only into the same schema.
    schema_version BIGINT NOT NULL,
    -- The tables it holds, comma-separated, in restore order.
    tables         TEXT NOT NULL,
    -- Rows over all its tables.
    row_count      BIGINT NOT NULL
);
