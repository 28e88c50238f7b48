-- Live traffic goes before replays and imports (issue 22): a lane made by a replay or an import is
-- bulk, and claims take due live lanes first, each kind in due order, from this index.
ALTER TABLE lanes ADD COLUMN bulk boolean NOT NULL DEFAULT false;
CREATE INDEX lanes_bulk_due ON lanes(bulk, due_at);
