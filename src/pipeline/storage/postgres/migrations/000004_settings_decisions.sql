-- See the SQLite migration of the same name: the settings version each event was decided under,
-- every decision it had, parked events, and the store's own facts (the destination of its queue).
ALTER TABLE events ADD COLUMN settings_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE event_decisions (
  id BIGSERIAL PRIMARY KEY,
  event_seq BIGINT NOT NULL,
  at BIGINT NOT NULL,
  settings_version BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT,
  message TEXT,
  tx TEXT
);
CREATE INDEX event_decisions_event ON event_decisions (event_seq);
CREATE INDEX events_parked ON events (seq) WHERE status = 'parked';
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
