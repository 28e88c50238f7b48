-- The console (issue 13): every event is kept with its decision and searchable by email, order id
-- and messageId. Accepted events gain the fields the search and the console show.
ALTER TABLE events ADD COLUMN event_name TEXT;
ALTER TABLE events ADD COLUMN audience_key TEXT;
-- Which configured write key (or the webhook) an event came through: a label, never the key.
ALTER TABLE events ADD COLUMN write_key_source TEXT;
-- The overview counts each status over a time range, with first-try deliveries and latencies, from
-- this index alone: one contiguous range per status, no table reads and no sort.
CREATE INDEX events_status ON events(status, received_at, attempts, latency_ms);

-- Events refused at the door (skips and rejects), apart from the delivery queue so its indexes and
-- the accept path of queued events stay as they were. Only appended, then pruned by age.
CREATE TABLE refusals (
  seq INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  code TEXT NOT NULL,
  message TEXT NOT NULL,
  email TEXT,
  customer_key TEXT,
  order_id TEXT,
  message_id TEXT,
  event_name TEXT,
  audience_key TEXT,
  source TEXT NOT NULL,
  write_key_source TEXT,
  -- The settings version the door decided it under (0: none recorded).
  settings_version INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL
);
CREATE INDEX refusals_received ON refusals(received_at, kind, code);
CREATE INDEX refusals_customer ON refusals(customer_key) WHERE customer_key IS NOT NULL;
CREATE INDEX refusals_order ON refusals(order_id) WHERE order_id IS NOT NULL;
CREATE INDEX refusals_message ON refusals(message_id) WHERE message_id IS NOT NULL;
