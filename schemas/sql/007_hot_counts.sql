-- Count rows are updated in place many times a day (one upsert per row
-- per batch). With pages left half empty, PostgreSQL can put the new row
-- version on the same page and skip the index (a HOT update): measured in
-- eqm-bench, almost every upsert was otherwise a full update plus a new
-- primary-key entry. Applies to pages written from now on; a VACUUM FULL
-- (or CLUSTER) rewrites existing ones.
ALTER TABLE equality.stop_search_daily SET (fillfactor = 50);
ALTER TABLE equality.custody_daily SET (fillfactor = 50);
ALTER TABLE equality.recruitment_daily SET (fillfactor = 50);
