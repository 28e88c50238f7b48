-- See the SQLite migration of the same name: destination settings as versions, shared by every
-- instance on the database.
CREATE TABLE settings_versions (
  version BIGSERIAL PRIMARY KEY,
  at BIGINT NOT NULL,
  source TEXT NOT NULL,
  settings TEXT NOT NULL,
  changes TEXT NOT NULL
);
