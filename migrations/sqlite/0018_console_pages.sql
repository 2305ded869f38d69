-- Indexes for the requester console's keyed pages (issue 14; sqlite flavour; keep in step
-- with the postgres flavour's 0018_console_pages.sql). Each is a listing's filter followed by
-- its sort key, so a "Next page" starts with one index seek.

-- The payments page, newest first: approved assignments by approval time (joined to their
-- HIT's owner), and a requester's bonuses by grant time.
CREATE INDEX assignments_approved ON assignments (approval_time, id) WHERE status = 'Approved';
CREATE INDEX bonus_payments_requester ON bonus_payments (requester, grant_time, id);

-- The event log, newest first, and each shown event's deliveries.
CREATE INDEX events_requester ON events (requester, seq, id);
CREATE INDEX event_deliveries_event ON event_deliveries (event_id, seq);
