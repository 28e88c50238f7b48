-- Once per calendar day (issue 21): a transaction of an event in oncePerDayEvents is sent with
-- Perkville's limit_to_once_per_calendar_day, so the stored transaction keeps that it is one.
ALTER TABLE events ADD COLUMN once_per_day INTEGER NOT NULL DEFAULT 0;
