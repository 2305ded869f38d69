-- The sequence number of seeded id streams (service.id_seed): each start on this store with a
-- seed takes the current value and stores the next, so a restarted server never mints again the
-- ids of an earlier run. A reset leaves it (the resetting server restarts its sequence at 0, which
-- no later start takes).
ALTER TABLE clock ADD COLUMN id_epoch BIGINT NOT NULL DEFAULT 0;
