-- Written and emptied again to learn whether the disk takes a batch-sized write (Storage.probeWrite).
CREATE TABLE write_probe (id INTEGER PRIMARY KEY, filler BLOB NOT NULL);
