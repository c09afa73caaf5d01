-- The ceiling (bench/ceiling): only the statements one delivery needs, as
-- the deliverer batches them, run by pgbench on the bench cluster with
-- `-D batch=N`. No HTTP, no signing, no service code: what PostgreSQL alone
-- allows on this machine. Each pgbench client is a replica named by its
-- client id.
--
-- 1. The claim (as services/deliverer/delivery_store.cc kClaim: the head of
--    the due index, leased without waiting for the WAL flush), with each
--    event's payload read, and the partitions of the claimed rows kept for
--    the history update.
WITH due AS (
  SELECT q.delivery_id FROM delivery_queue q
  WHERE (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
    AND q.hold = 0 AND q.lease_owner IS NULL AND q.due_at <= now()
  ORDER BY q.due_at
  LIMIT :batch
  FOR UPDATE OF q SKIP LOCKED),
claimed AS (
  UPDATE delivery_queue q SET lease_owner = 'ceiling-' || :client_id::text,
    lease_expires_at = now() + interval '60 seconds',
    unrecorded_claims = q.unrecorded_claims + 1
  FROM due WHERE q.delivery_id = due.delivery_id
  RETURNING q.event_id, q.bucket_at)
SELECT count(*) AS claimed, sum(length(e.payload)) AS payload_bytes,
       coalesce(array_agg(DISTINCT c.bucket_at)::text, '{}') AS buckets
FROM claimed c JOIN events e ON e.id = c.event_id AND e.bucket_at = c.bucket_at
\gset
-- 2. The results, durably, in one transaction: an attempt row for each,
--    the queue rows gone, the history rows succeeded (in the claimed
--    partitions only, as the deliverer's statement is planned).
BEGIN;
INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at, duration_us,
                               status_code, error, response_body, request_headers, request_body)
SELECT q.delivery_id, q.endpoint_id, q.attempts + 1, now(), 1000, 200, '', 'ok', '{}', ''
FROM delivery_queue q WHERE q.lease_owner = 'ceiling-' || :client_id::text;
WITH done AS (
  DELETE FROM delivery_queue q WHERE q.lease_owner = 'ceiling-' || :client_id::text
  RETURNING q.delivery_id, q.bucket_at, q.attempts)
UPDATE deliveries d SET state = 3, attempts = done.attempts + 1, last_status_code = 200,
  last_error = '', finished_at = now()
FROM done
WHERE d.id = done.delivery_id AND d.bucket_at = done.bucket_at
  AND d.bucket_at = ANY (:buckets::timestamptz[]);
COMMIT;
