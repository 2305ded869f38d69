-- HIT event notifications (issue 12; sqlite flavour, keep in step with the other flavour's
-- 0013_notifications.sql). Emulated times and wall times are epoch milliseconds.

-- A HIT type's notification specification (UpdateNotificationSettings, SetHITTypeNotification).
-- event_types is comma-framed (",AssignmentSubmitted,HITReviewable,") for a portable LIKE.
-- timed_through: the emulated instant up to which the clock-driven events of this HIT type
-- (AssignmentAbandoned, HITExpired and the HITReviewable they cause) have been looked for.
CREATE TABLE notification_settings (
    hit_type_id   TEXT PRIMARY KEY REFERENCES hit_types (id),
    requester     TEXT NOT NULL,
    destination   TEXT NOT NULL,
    transport     TEXT NOT NULL,
    version       TEXT NOT NULL,
    event_types   TEXT NOT NULL,
    active        BIGINT NOT NULL,
    timed_through BIGINT NOT NULL
);

-- The outbox: one row per event, written in the transaction of the state change that caused
-- it. id is the EventDocId. seq orders events (and their deliveries) as they were written.
-- dedup_key, when set, makes an event that two paths may record (an expiry seen by the API
-- call that caused it and by the clock) be recorded once.
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    seq           BIGINT NOT NULL,
    requester     TEXT NOT NULL,
    hit_type_id   TEXT NOT NULL,
    hit_id        TEXT NOT NULL,
    assignment_id TEXT,
    event_type    TEXT NOT NULL,
    event_time    BIGINT NOT NULL,
    dedup_key     TEXT UNIQUE
);
CREATE INDEX events_hit ON events (hit_id);

-- One delivery of an event to one destination. Pending ones are claimed by a dispatcher with a
-- lease (lease_owner, lease_until, wall time); next_attempt_at is wall time too.
-- (seq is INTEGER PRIMARY KEY here, SQLite's row id: the newest is found without an index.)
CREATE TABLE event_deliveries (
    seq             INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events (id),
    transport       TEXT NOT NULL,
    destination     TEXT NOT NULL,
    version         TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    finished_at     BIGINT
);
-- Only pending deliveries are indexed for the dispatcher: a delivered one leaves both indexes.
CREATE INDEX event_deliveries_pending ON event_deliveries (seq) WHERE status = 'Pending';
-- A claim looks for earlier pending deliveries to the same destination (they go first).
CREATE INDEX event_deliveries_destination ON event_deliveries (transport, destination, seq)
    WHERE status = 'Pending';
