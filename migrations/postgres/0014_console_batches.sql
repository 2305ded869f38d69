-- The web console's batches (issue 14; postgres flavour; keep in step with the
-- other flavour's 0014_console_batches.sql). A batch is a project (an HTML
-- template with ${name} placeholders; the HIT properties live in its HIT type)
-- filled from a CSV, one HIT per row.
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    requester   TEXT NOT NULL,
    name        TEXT NOT NULL,
    hit_type_id TEXT NOT NULL,
    template    TEXT NOT NULL,
    -- The CSV's header: a JSON array of strings.
    columns     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX batches_by_requester ON batches (requester, created_at, id);

-- One row per CSV row: the HIT made from it and the row's values (a JSON array).
CREATE TABLE batch_hits (
    batch_id  TEXT NOT NULL,
    row_index BIGINT NOT NULL,
    hit_id    TEXT NOT NULL,
    input     TEXT NOT NULL,
    PRIMARY KEY (batch_id, row_index)
);
