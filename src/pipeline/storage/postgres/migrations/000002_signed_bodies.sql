-- See the SQLite migration of the same name: a first-event webhook signature is bound to one body.
CREATE TABLE signed_bodies (
  message_id TEXT PRIMARY KEY,
  body_digest TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX signed_bodies_at ON signed_bodies (at);
