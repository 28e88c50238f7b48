-- Settings take effect on undelivered events: each event remembers the settings version its
-- transaction was decided under (0: from before versions), and is decided again from its stored
-- payload when claimed under a newer one.
ALTER TABLE events ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;
-- Every decision an event had (at accept, and again under each newer settings version it met).
CREATE TABLE event_decisions (
  id INTEGER PRIMARY KEY,
  event_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  settings_version INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT,
  message TEXT,
  tx TEXT
);
CREATE INDEX event_decisions_event ON event_decisions(event_seq);
-- Parked events wait for a settings change; a change takes all of them back into the queue.
CREATE INDEX events_parked ON events(seq) WHERE status = 'parked';
-- The store's own facts, e.g. which destination (Perkville base URL and business) its queue belongs to.
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
