-- HIT types, HITs, assignments and worker profiles (SQLite flavour; keep in step with
-- migrations/postgres/0002_hits.sql). Times are epoch milliseconds, money integer cents.

CREATE TABLE hit_types (
    id                       TEXT PRIMARY KEY,
    owner                    TEXT NOT NULL,
    title                    TEXT NOT NULL,
    description              TEXT NOT NULL,
    keywords                 TEXT,
    reward_cents             BIGINT NOT NULL,
    assignment_duration_secs BIGINT NOT NULL,
    auto_approval_delay_secs BIGINT NOT NULL,
    -- The requirements as a JSON array (read and written only by mturk-local).
    requirements             TEXT NOT NULL,
    -- Identical properties give the same HIT type (CreateHITType reuses it).
    fingerprint              TEXT NOT NULL,
    creation_time            BIGINT NOT NULL
);
CREATE UNIQUE INDEX hit_types_owner_fingerprint ON hit_types (owner, fingerprint);

-- Which qualification types a HIT type requires (ListHITsForQualificationType).
CREATE TABLE hit_type_qualifications (
    hit_type_id           TEXT NOT NULL REFERENCES hit_types (id),
    qualification_type_id TEXT NOT NULL,
    PRIMARY KEY (hit_type_id, qualification_type_id)
);
CREATE INDEX hit_type_qualifications_type ON hit_type_qualifications (qualification_type_id);

CREATE TABLE hits (
    id                   TEXT PRIMARY KEY,
    hit_type_id          TEXT NOT NULL REFERENCES hit_types (id),
    owner                TEXT NOT NULL,
    question             TEXT NOT NULL,
    max_assignments      BIGINT NOT NULL,
    expiration           BIGINT NOT NULL,
    requester_annotation TEXT,
    creation_time        BIGINT NOT NULL,
    reviewing            BIGINT NOT NULL,
    disposed             BIGINT NOT NULL,
    unique_request_token TEXT
);
CREATE INDEX hits_owner_created ON hits (owner, creation_time, id);
CREATE INDEX hits_expiration ON hits (disposed, expiration);
CREATE UNIQUE INDEX hits_owner_token ON hits (owner, unique_request_token);

CREATE TABLE assignments (
    id                 TEXT PRIMARY KEY,
    hit_id             TEXT NOT NULL REFERENCES hits (id),
    worker_id          TEXT NOT NULL,
    status             TEXT NOT NULL,
    accept_time        BIGINT NOT NULL,
    deadline           BIGINT NOT NULL,
    submit_time        BIGINT,
    auto_approval_time BIGINT,
    approval_time      BIGINT,
    rejection_time     BIGINT,
    answer             TEXT,
    requester_feedback TEXT
);
CREATE INDEX assignments_hit ON assignments (hit_id, status, accept_time, id);
CREATE INDEX assignments_worker ON assignments (worker_id, status);
CREATE INDEX assignments_due ON assignments (status, auto_approval_time);

CREATE TABLE worker_profiles (
    worker_id   TEXT PRIMARY KEY,
    country     TEXT,
    subdivision TEXT,
    adult       BIGINT NOT NULL,
    masters     BIGINT NOT NULL
);
