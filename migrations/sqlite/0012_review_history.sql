-- What the worker statistics and the HIT-level review at expiry need (sqlite flavour; keep in
-- step with the other flavour's 0012_review_history.sql). Times are epoch milliseconds.

-- When each review result was recorded, in emulated time: the known-answer and plurality
-- worker statistics are dated by it. Results recorded before this column existed are dated
-- by their assignment's submission (the assignment-level policy ran right after it).
ALTER TABLE review_results ADD COLUMN recorded_at BIGINT;
UPDATE review_results SET recorded_at =
    (SELECT a.submit_time FROM assignments a WHERE a.id = review_results.subject_id)
    WHERE subject_type = 'Assignment';

-- How many assignments (submitted, approved or rejected) the HIT had when its HIT-level
-- policy last ran: with hit_reviewed_max, the HIT-level review runs once per (MaxAssignments,
-- assignments in), so a HIT reviewed when it expired is reviewed again if it is extended and
-- more work comes in.
ALTER TABLE review_policies ADD COLUMN hit_reviewed_submitted BIGINT;
UPDATE review_policies SET hit_reviewed_submitted =
    (SELECT COUNT(*) FROM assignments a WHERE a.hit_id = review_policies.hit_id
     AND a.status IN ('Submitted', 'Approved', 'Rejected'))
    WHERE hit_reviewed_max IS NOT NULL;
