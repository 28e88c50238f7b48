-- The console finds an event by its userId or anonymousId (issue 23), exactly: an event without an
-- email is tied to its customer by the ids its sender gave it. New rows carry them from the door.
ALTER TABLE events ADD COLUMN user_id TEXT;
ALTER TABLE events ADD COLUMN anonymous_id TEXT;
ALTER TABLE refusals ADD COLUMN user_id TEXT;
ALTER TABLE refusals ADD COLUMN anonymous_id TEXT;
-- Rows from before are read from their stored payloads once, as the door reads an id (event-fields.ts):
-- text trimmed or a number, at most 500 characters, blank as none. A payload holding an escaped
-- U+0000 keeps no ids (as in PostgreSQL, whose json cannot read one).
UPDATE events SET
  user_id = CASE WHEN json_type(payload, '$.userId') IN ('text', 'integer', 'real') THEN NULLIF(substr(trim(json_extract(payload, '$.userId')), 1, 500), '') END,
  anonymous_id = CASE WHEN json_type(payload, '$.anonymousId') IN ('text', 'integer', 'real') THEN NULLIF(substr(trim(json_extract(payload, '$.anonymousId')), 1, 500), '') END
WHERE json_valid(payload) AND instr(payload, '\u0000') = 0;
UPDATE refusals SET
  user_id = CASE WHEN json_type(payload, '$.userId') IN ('text', 'integer', 'real') THEN NULLIF(substr(trim(json_extract(payload, '$.userId')), 1, 500), '') END,
  anonymous_id = CASE WHEN json_type(payload, '$.anonymousId') IN ('text', 'integer', 'real') THEN NULLIF(substr(trim(json_extract(payload, '$.anonymousId')), 1, 500), '') END
WHERE json_valid(payload) AND instr(payload, '\u0000') = 0;
CREATE INDEX events_user ON events(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX events_anonymous ON events(anonymous_id) WHERE anonymous_id IS NOT NULL;
CREATE INDEX refusals_user ON refusals(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refusals_anonymous ON refusals(anonymous_id) WHERE anonymous_id IS NOT NULL;
