-- mturk-local schema, PostgreSQL flavour. Keep in step with migrations/sqlite/0001_initial.sql:
-- same tables, columns and meaning. Times are epoch milliseconds (BIGINT),
-- booleans are 0/1, so one set of SQL statements serves both backends.

CREATE TABLE requesters (
    access_key_id TEXT PRIMARY KEY,
    balance_cents BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE qualification_types (
    id                 TEXT PRIMARY KEY,
    -- The owning requester's access key id; '' for the system types below.
    owner              TEXT NOT NULL,
    name               TEXT NOT NULL,
    -- The name while the type is live; NULL once disposal completes, which frees the name.
    live_name          TEXT,
    description        TEXT NOT NULL,
    keywords           TEXT,
    status             TEXT NOT NULL,
    retry_delay_secs   BIGINT,
    test               TEXT,
    test_duration_secs BIGINT,
    answer_key         TEXT,
    auto_granted       BIGINT NOT NULL,
    auto_granted_value BIGINT,
    is_requestable     BIGINT NOT NULL,
    creation_time      BIGINT NOT NULL,
    disposal_due       BIGINT
);
CREATE UNIQUE INDEX qualification_types_owner_live_name ON qualification_types (owner, live_name);
CREATE INDEX qualification_types_owner_created ON qualification_types (owner, creation_time, id);

CREATE TABLE qualifications (
    type_id       TEXT NOT NULL REFERENCES qualification_types (id),
    worker_id     TEXT NOT NULL,
    integer_value BIGINT NOT NULL,
    status        TEXT NOT NULL,
    grant_time    BIGINT NOT NULL,
    revoke_time   BIGINT,
    revoke_reason TEXT,
    PRIMARY KEY (type_id, worker_id)
);
CREATE INDEX qualifications_worker ON qualifications (worker_id);
CREATE INDEX qualifications_type_status ON qualifications (type_id, status, grant_time, worker_id);

CREATE TABLE qualification_requests (
    id            TEXT PRIMARY KEY,
    type_id       TEXT NOT NULL REFERENCES qualification_types (id),
    owner         TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    test          TEXT,
    answer        TEXT,
    status        TEXT NOT NULL,
    request_time  BIGINT NOT NULL,
    submit_time   BIGINT,
    test_deadline BIGINT,
    reason        TEXT
);
CREATE INDEX qualification_requests_owner_status ON qualification_requests (owner, status, submit_time, id);
CREATE INDEX qualification_requests_type_worker ON qualification_requests (type_id, worker_id, request_time);

CREATE TABLE worker_blocks (
    requester  TEXT NOT NULL,
    worker_id  TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (requester, worker_id)
);

CREATE TABLE worker_notifications (
    id                    BIGSERIAL PRIMARY KEY,
    worker_id             TEXT NOT NULL,
    requester             TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    qualification_type_id TEXT,
    subject               TEXT,
    text                  TEXT NOT NULL,
    created_at            BIGINT NOT NULL
);
CREATE INDEX worker_notifications_worker ON worker_notifications (worker_id, id);

-- One row: the virtual clock's offset from real time, shared by every instance.
CREATE TABLE clock (
    id        BIGINT PRIMARY KEY,
    offset_ms BIGINT NOT NULL
);
INSERT INTO clock (id, offset_ms) VALUES (1, 0);

-- The system qualification types (spec legacy-api.md §7.2, modern-api.md §3.5). They exist for
-- every requester, are readable by all, and are neither requestable nor assignable. Their
-- live_name is NULL because they are never created, renamed or disposed through the API.
INSERT INTO qualification_types
    (id, owner, name, live_name, description, keywords, status, retry_delay_secs, test,
     test_duration_secs, answer_key, auto_granted, auto_granted_value, is_requestable, creation_time, disposal_due)
VALUES
    ('00000000000000000000', '', 'Worker_PercentAssignmentsSubmitted', NULL,
     'The percentage of assignments the worker has submitted, over all assignments the worker has accepted.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('00000000000000000070', '', 'Worker_PercentAssignmentsAbandoned', NULL,
     'The percentage of assignments the worker has abandoned, over all assignments the worker has accepted.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('000000000000000000E0', '', 'Worker_PercentAssignmentsReturned', NULL,
     'The percentage of assignments the worker has returned, over all assignments the worker has accepted.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('000000000000000000L0', '', 'Worker_PercentAssignmentsApproved', NULL,
     'The percentage of the worker''s submitted assignments that were approved; 100 until the worker has 100 submissions.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('000000000000000000S0', '', 'Worker_PercentAssignmentsRejected', NULL,
     'The percentage of the worker''s submitted assignments that were rejected.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('00000000000000000040', '', 'Worker_NumberHITsApproved', NULL,
     'The number of the worker''s assignments that have been approved, over all requesters.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('00000000000000000071', '', 'Worker_Locale', NULL,
     'The worker''s location: an ISO 3166 country and, optionally, subdivision.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('00000000000000000060', '', 'Worker_Adult', NULL,
     '1 when the worker has agreed to see adult content, 0 otherwise.',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('2ARFPLSP75KLA8M8DH1HTEQVJT3SY6', '', 'Masters', NULL,
     'Workers who have shown excellence across many HITs (the sandbox Masters id).',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL),
    ('2F1QJWKUDD8XADTFD2Q0G6UTO95ALH', '', 'Masters', NULL,
     'Workers who have shown excellence across many HITs (the production Masters id).',
     'system', 'Active', NULL, NULL, NULL, NULL, 0, NULL, 0, 1128124800000, NULL);
