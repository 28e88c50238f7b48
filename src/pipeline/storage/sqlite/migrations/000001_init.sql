-- One row per accepted event. seq is the order of receipt, which is the delivery order per customer.
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  message_id TEXT,
  external_id TEXT NOT NULL,
  customer_key TEXT NOT NULL,
  email TEXT NOT NULL,
  business_id TEXT NOT NULL,
  location_id TEXT NOT NULL,
  perk_id TEXT NOT NULL,
  send_email INTEGER NOT NULL,
  kind TEXT NOT NULL,
  quantity REAL NOT NULL,
  requested_quantity REAL,
  order_id TEXT,
  event_timestamp TEXT,
  payload TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  unknown INTEGER NOT NULL DEFAULT 0,
  ledger INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  received_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  first_failed_at INTEGER,
  lease_id INTEGER,
  finished_at INTEGER,
  latency_ms INTEGER,
  failure_reason TEXT,
  last_error TEXT,
  transaction_id TEXT
);
-- The queue: only undelivered rows, so finding a customer's head stays O(log n) however much history there is.
CREATE INDEX events_queue ON events(customer_key, seq) WHERE status IN ('pending', 'in_flight', 'retrying');
CREATE INDEX events_customer ON events(customer_key, seq);
-- Also the dedup index: a messageId is a duplicate while an event with it was received within the window.
CREATE INDEX events_external ON events(external_id, received_at);
CREATE INDEX events_order ON events(order_id, perk_id) WHERE order_id IS NOT NULL;
-- Failed events are few and what operators look for; delivered ones are found by scanning newest first.
CREATE INDEX events_failed ON events(seq) WHERE status = 'failed';
CREATE INDEX events_retrying ON events(seq) WHERE status = 'retrying';
CREATE INDEX events_received ON events(received_at);

-- One row per customer with undelivered events; due_at is when its head may be attempted
-- (or, while leased, when the lease expires). Claims read this small table by due_at.
CREATE TABLE lanes (
  customer_key TEXT PRIMARY KEY,
  due_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX lanes_due ON lanes(due_at);

CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  event_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  request TEXT,
  response TEXT,
  error TEXT
);
CREATE INDEX attempts_event ON attempts(event_seq);

CREATE TABLE order_ledger (
  order_id TEXT NOT NULL,
  perk_id TEXT NOT NULL,
  awarded_cents INTEGER NOT NULL,
  refunded_cents INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (order_id, perk_id)
) WITHOUT ROWID;
CREATE INDEX order_ledger_updated ON order_ledger(updated_at);

CREATE TABLE drop_counts (
  minute INTEGER NOT NULL,
  code TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (minute, code)
) WITHOUT ROWID;
