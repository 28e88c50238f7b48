-- Leases in a narrow table of their own (issue 26): a claim inserts a row here and a completion deletes
-- it, so the wide events row and its many indexes are written once per outcome, not also per claim.
-- A leased event keeps its queue status (pending or retrying); readers show it as in flight.
-- lease_id is taken from lease_ids, so it is unique per claim across every instance.
CREATE TABLE leases (
  seq BIGINT PRIMARY KEY,
  lease_id BIGINT NOT NULL
);

-- Events in flight under the old scheme move here with their lease, back in the status a release would
-- give them. Their lanes stay due when those leases expire; the next claim then finds them leased, so
-- their fate is unknown and settled by lookup first. An instance of the old version completing one
-- looks for status 'in_flight' and finds none, so its outcome is ignored: nothing lost, nothing sent
-- twice. (Rows such an instance leases afterwards are in flight the old way; claims treat them alike.)
INSERT INTO leases (seq, lease_id)
SELECT seq, COALESCE(lease_id, nextval('lease_ids')) FROM events WHERE status = 'in_flight';
UPDATE events SET lease_id = NULL,
  status = CASE WHEN attempts > 0 OR first_failed_at IS NOT NULL OR unknown THEN 'retrying' ELSE 'pending' END
WHERE status = 'in_flight';
