-- Indexes of the worker's HIT-group listing (postgres flavour; keep in step with the sqlite
-- flavour's 0017_hit_groups.sql). The console pages over HIT types (a HIT group is the HITs of
-- one type) by key, keeping a type when one of its HITs is open; it counts open HITs only for the
-- groups it shows.

-- Oldest / newest first: (creation_time, id).
CREATE INDEX hit_types_created ON hit_types (creation_time, id);

-- Highest / lowest reward first: (reward_cents, creation_time, id).
CREATE INDEX hit_types_reward ON hit_types (reward_cents, creation_time, id);

-- A type's open HITs (the EXISTS of the listing, the counts, the next HIT to accept): its HITs
-- that are live, not under review and unexpired, oldest first.
CREATE INDEX hits_type_open ON hits (hit_type_id, disposed, reviewing, expiration);
CREATE INDEX hits_type_created ON hits (hit_type_id, creation_time, id);
