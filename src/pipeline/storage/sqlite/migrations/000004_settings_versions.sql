-- Destination settings as versions: every change (at start from a file or the configuration, through
-- the admin API, on SIGHUP) is a row, so settings survive a restart and their history can be shown.
-- `settings` holds the whole settings JSON, API key included: the database is the service's own
-- (mode 0600); `changes` describes the change without any secret.
CREATE TABLE settings_versions (
  version INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  source TEXT NOT NULL,
  settings TEXT NOT NULL,
  changes TEXT NOT NULL
);
