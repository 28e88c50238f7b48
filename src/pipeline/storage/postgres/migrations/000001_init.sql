-- One row per accepted event. seq is the order of receipt, which is the delivery order per customer:
-- events of one customer are only inserted while holding that customer's lane row, so seq order is
-- also commit order within a customer, whichever instance accepted them.
CREATE TABLE events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id TEXT,
  external_id TEXT NOT NULL,
  customer_key TEXT NOT NULL,
  email TEXT NOT NULL,
  business_id TEXT NOT NULL,
  location_id TEXT NOT NULL,
  perk_id TEXT NOT NULL,
  send_email BOOLEAN NOT NULL,
  kind TEXT NOT NULL,
  quantity DOUBLE PRECISION NOT NULL,
  requested_quantity DOUBLE PRECISION,
  order_id TEXT,
  event_timestamp TEXT,
  payload TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL,
  unknown BOOLEAN NOT NULL DEFAULT FALSE,
  ledger BOOLEAN NOT NULL DEFAULT FALSE,
  attempts INTEGER NOT NULL DEFAULT 0,
  received_at BIGINT NOT NULL,
  next_attempt_at BIGINT,
  first_failed_at BIGINT,
  lease_id BIGINT,
  finished_at BIGINT,
  latency_ms BIGINT,
  failure_reason TEXT,
  last_error TEXT,
  transaction_id TEXT
);
-- The queue: only undelivered rows, so finding a customer's head stays O(log n) however much history there is.
CREATE INDEX events_queue ON events (customer_key, seq) WHERE status IN ('pending', 'in_flight', 'retrying');
CREATE INDEX events_customer ON events (customer_key, seq);
CREATE INDEX events_external ON events (external_id, received_at);
CREATE INDEX events_order ON events (order_id, perk_id) WHERE order_id IS NOT NULL;
CREATE INDEX events_failed ON events (seq) WHERE status = 'failed';
CREATE INDEX events_received ON events (received_at, seq);

-- The dedup record: the latest receive time of each external id. A unique key (not a lookup of
-- events) so two instances accepting the same messageId at once queue it once: the second insert
-- waits for the first and then sees it.
CREATE TABLE dedup (
  dedup_key TEXT PRIMARY KEY,
  received_at BIGINT NOT NULL
);
CREATE INDEX dedup_received ON dedup (received_at);

-- One row per customer with undelivered events; due_at is when its head may be attempted (or,
-- while leased, when the lease expires). Claims lock due rows with FOR UPDATE SKIP LOCKED.
CREATE TABLE lanes (
  customer_key TEXT PRIMARY KEY,
  due_at BIGINT NOT NULL
);
CREATE INDEX lanes_due ON lanes (due_at);

-- Lease ids are unique across every instance sharing the database.
CREATE SEQUENCE lease_ids;

CREATE TABLE attempts (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_seq BIGINT NOT NULL,
  at BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  outcome TEXT NOT NULL,
  request TEXT,
  response TEXT,
  error TEXT
);
CREATE INDEX attempts_event ON attempts (event_seq);

CREATE TABLE order_ledger (
  order_id TEXT NOT NULL,
  perk_id TEXT NOT NULL,
  awarded_cents BIGINT NOT NULL,
  refunded_cents BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (order_id, perk_id)
);
CREATE INDEX order_ledger_updated ON order_ledger (updated_at);

CREATE TABLE drop_counts (
  minute BIGINT NOT NULL,
  code TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (minute, code)
);
