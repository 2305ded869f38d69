-- Bonuses and idempotency tokens (SQLite flavour; keep in step with
-- migrations/postgres/0003_bonuses.sql).

CREATE TABLE bonus_payments (
    id            TEXT PRIMARY KEY,
    requester     TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    assignment_id TEXT NOT NULL REFERENCES assignments (id),
    hit_id        TEXT NOT NULL,
    amount_cents  BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    grant_time    BIGINT NOT NULL
);
CREATE INDEX bonus_payments_assignment ON bonus_payments (assignment_id, grant_time, id);
CREATE INDEX bonus_payments_hit ON bonus_payments (hit_id, grant_time, id);

-- UniqueRequestToken of operations other than CreateHIT, per requester and operation.
CREATE TABLE idempotency_tokens (
    requester  TEXT NOT NULL,
    operation  TEXT NOT NULL,
    token      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (requester, operation, token)
);
