-- The console finds an event by its userId or anonymousId (issue 23), exactly: an event without an
-- email is tied to its customer by the ids its sender gave it. New rows carry them from the door;
-- rows from before are read from their stored payloads once, as the door reads an id (event-fields.ts):
-- text trimmed or a number, at most 500 characters, blank as none.
CREATE FUNCTION identity_text(value json) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN json_typeof(value) IN ('string', 'number') THEN NULLIF(left(btrim(value #>> '{}'), 500), '') END
$$;

ALTER TABLE events ADD COLUMN user_id TEXT;
ALTER TABLE events ADD COLUMN anonymous_id TEXT;
ALTER TABLE refusals ADD COLUMN user_id TEXT;
ALTER TABLE refusals ADD COLUMN anonymous_id TEXT;

-- json cannot read an escaped U+0000 or a lone surrogate anywhere in a payload: such rare rows keep no ids.
UPDATE events SET user_id = identity_text(payload::json -> 'userId'),
  anonymous_id = identity_text(payload::json -> 'anonymousId')
WHERE payload LIKE '{%' AND payload !~* '\\u(0000|d[89a-f])';
UPDATE refusals SET user_id = identity_text(payload::json -> 'userId'),
  anonymous_id = identity_text(payload::json -> 'anonymousId')
WHERE payload LIKE '{%' AND payload !~* '\\u(0000|d[89a-f])';
DROP FUNCTION identity_text(json);

CREATE INDEX events_user ON events (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX events_anonymous ON events (anonymous_id) WHERE anonymous_id IS NOT NULL;
CREATE INDEX refusals_user ON refusals (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX refusals_anonymous ON refusals (anonymous_id) WHERE anonymous_id IS NOT NULL;
