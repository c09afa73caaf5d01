-- The delivery hot path, measured (bench/README.md): every delivery row is
-- inserted once and updated twice, every attempt row inserted once.

-- Foreign keys on the hot tables cost a trigger per row and a KEY SHARE row
-- lock on the referenced row: every event locked the one org row, every
-- delivery its endpoint row, so concurrent publishers created MultiXacts on
-- the same few rows. Only event-ingest and the deliverer write these tables,
-- each referencing rows it has just read in the same transaction; endpoints
-- and orgs are never deleted (endpoints are soft-deleted).
ALTER TABLE events DROP CONSTRAINT events_org_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_event_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_endpoint_id_fkey;
ALTER TABLE delivery_attempts DROP CONSTRAINT delivery_attempts_delivery_id_fkey;

-- No query looks deliveries up by event: one index fewer to maintain on
-- every insert and every state change.
DROP INDEX deliveries_by_event;

-- Queue tables churn: vacuum them after 1% of rows changed (not 20%), and
-- do not let cost-based throttling hold the vacuum back. delivery_attempts
-- only grows: vacuum it by inserts to keep its visibility map current.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.01,
                            autovacuum_analyze_scale_factor = 0.02,
                            autovacuum_vacuum_cost_delay = 0);
ALTER TABLE delivery_attempts SET (autovacuum_vacuum_insert_scale_factor = 0.05,
                                   autovacuum_vacuum_cost_delay = 0);
