-- Qualifications clustered on their primary key (WITHOUT ROWID): a lookup or an
-- update by (type, worker) touches one b-tree instead of an index and the table,
-- and a write puts fewer pages in the WAL. SQLite only: PostgreSQL keeps its
-- table as it is (same columns, same meaning).

CREATE TABLE qualifications_clustered (
    type_id       TEXT NOT NULL REFERENCES qualification_types (id),
    worker_id     TEXT NOT NULL,
    integer_value BIGINT NOT NULL,
    status        TEXT NOT NULL,
    grant_time    BIGINT NOT NULL,
    revoke_time   BIGINT,
    revoke_reason TEXT,
    PRIMARY KEY (type_id, worker_id)
) WITHOUT ROWID;

INSERT INTO qualifications_clustered
    (type_id, worker_id, integer_value, status, grant_time, revoke_time, revoke_reason)
SELECT type_id, worker_id, integer_value, status, grant_time, revoke_time, revoke_reason FROM qualifications;

DROP TABLE qualifications;
ALTER TABLE qualifications_clustered RENAME TO qualifications;
CREATE INDEX qualifications_worker ON qualifications (worker_id);
CREATE INDEX qualifications_type_status ON qualifications (type_id, status, grant_time, worker_id);
