-- Placeholder on the console branch for the settings work's migration of this number (branch s10):
-- at the merge that branch's file replaces this one.
SELECT 1;
