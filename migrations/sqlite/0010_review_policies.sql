-- Review policies (sqlite flavour; keep in step with the other one): the policies a HIT was
-- created with, and what running them computed and did. Times are epoch milliseconds.

-- The HIT's policies as sent (JSON, read and written only by mturk-local), and the
-- MaxAssignments at which the HIT-level policy last ran (it runs again after an extension).
CREATE TABLE review_policies (
    hit_id            TEXT PRIMARY KEY REFERENCES hits (id),
    assignment_policy TEXT,
    hit_policy        TEXT,
    hit_reviewed_max  BIGINT
);

-- ReviewResultDetail rows, in the order they were computed (position, per HIT).
CREATE TABLE review_results (
    hit_id       TEXT NOT NULL REFERENCES hits (id),
    position     BIGINT NOT NULL,
    level        TEXT NOT NULL,
    action_id    TEXT,
    subject_id   TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    question_id  TEXT,
    result_key   TEXT NOT NULL,
    result_value TEXT NOT NULL,
    PRIMARY KEY (hit_id, position)
);

-- ReviewActionDetail rows, in the order they were taken (position, per HIT).
CREATE TABLE review_actions (
    id            TEXT PRIMARY KEY,
    hit_id        TEXT NOT NULL REFERENCES hits (id),
    position      BIGINT NOT NULL,
    level         TEXT NOT NULL,
    action_name   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    status        TEXT NOT NULL,
    complete_time BIGINT,
    result        TEXT,
    error_code    TEXT
);
CREATE UNIQUE INDEX review_actions_hit ON review_actions (hit_id, position);
