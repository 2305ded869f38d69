-- Indexes that let every listing seek to its page by key (postgres flavour; keep in step with
-- the sqlite flavour's 0016_listing_keys.sql). Each is the listing's filter equalities followed
-- by its sort key, so a JSON page after a NextToken starts with one index seek, and a legacy
-- numbered page and its TotalNumResults walk the index alone.

-- ListAssignmentsForHIT / GetAssignmentsForHIT: any set of statuses, by (accept_time, id).
-- assignments_hit (hit_id, status, accept_time, id) serves one status only.
CREATE INDEX assignments_hit_accepted ON assignments (hit_id, accept_time, id);

-- ListWorkerBlocks / GetBlockedWorkers: by (created_at, worker_id).
CREATE INDEX worker_blocks_requester_created ON worker_blocks (requester, created_at, worker_id);

-- ListQualificationTypes / SearchQualificationTypes: by (name, id), either way.
CREATE INDEX qualification_types_name ON qualification_types (name, id);

-- ListQualificationRequests / GetQualificationRequests sorted by type: (type_id, submit_time, id).
CREATE INDEX qualification_requests_owner_type ON qualification_requests (owner, status, type_id, submit_time, id);

-- How many assignments a HIT has, for the planner. Its estimate for `a.hit_id = h.id` in the
-- per-HIT counts of every HIT listing is rows / n_distinct(hit_id), and ANALYZE's sample can
-- see very few HITs with assignments (a test store where one HIT has 10,000 and the others
-- none): it then expected half the table per HIT and read the whole table for each HIT of a
-- page (88 ms a page with 10,000 assignments; benches/listings.py). The real shape is many
-- HITs with a few assignments each: tell it so (on average 10 per HIT with an assignment;
-- ANALYZE keeps this override).
ALTER TABLE assignments ALTER COLUMN hit_id SET (n_distinct = -0.1);
