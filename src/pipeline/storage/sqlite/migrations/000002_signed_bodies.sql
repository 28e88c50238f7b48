-- Webhook batches signed over their first event only (--webhook-signature first-event): the first
-- event's messageId bound to the digest of the one body it came in, so the signature is not reusable.
CREATE TABLE signed_bodies (
  message_id TEXT PRIMARY KEY,
  body_digest TEXT NOT NULL,
  at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX signed_bodies_at ON signed_bodies(at);
