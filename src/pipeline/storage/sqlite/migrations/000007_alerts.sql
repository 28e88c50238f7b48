-- Alerts (issue 24): one row per time a condition held, from firing until resolved. At most one row
-- per key is open, so instances sharing the database claim each message with one conditional write:
-- the insert that opens the row, or the update that moves notified_at or sets resolved_at.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  alert_key TEXT NOT NULL,
  alert TEXT NOT NULL,
  reason TEXT NOT NULL,
  since_at INTEGER NOT NULL,
  fired_at INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  notified_at INTEGER NOT NULL,
  reminders INTEGER NOT NULL DEFAULT 0,
  -- The last instance that saw the condition hold, and when: another instance that does not see it
  -- resolves the alert only once that instance has been quiet for a while.
  seen_at INTEGER NOT NULL,
  seen_by TEXT NOT NULL,
  resolved_at INTEGER
);
CREATE UNIQUE INDEX alerts_open ON alerts(alert_key) WHERE resolved_at IS NULL;
CREATE INDEX alerts_resolved ON alerts(resolved_at) WHERE resolved_at IS NOT NULL;
