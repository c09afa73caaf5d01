-- The hot queue (issue 17). What is due lives in a table of its own,
-- unpartitioned and small: one row per open delivery (pending or in
-- flight), deleted when the delivery ends. A claim reads one index of it,
-- whatever the retention; the history (deliveries, events, attempts) stays
-- partitioned by week and is written once per attempt's result.
--
-- deliveries.state is now 1 (pending, which includes in flight), 3, 4 or 5;
-- "in flight" is a queue row with a lease. The lease and the claim count
-- moved here, off the partitioned rows.
--
-- hold says why a row may not be claimed (QueueHold in
-- common/delivery_vocabulary.h):
--   0 ready      claimable once due_at has passed
--   1 off        its endpoint is paused, disabled or deleted
--   2 metered    its endpoint has a rate limit: it waits for a token
--                (argus_release_metered); the limit holds for the endpoint,
--                whatever the number of deliverer replicas
-- Held rows are outside the due index, so no claim ever reads them.
CREATE TABLE delivery_queue (
  delivery_id       uuid PRIMARY KEY,
  bucket_at         timestamptz NOT NULL,   -- the delivery's (and event's) partition key
  event_id          uuid NOT NULL,
  endpoint_id       uuid NOT NULL,
  attempts          integer NOT NULL DEFAULT 0,   -- recorded attempts
  retry_base        integer NOT NULL DEFAULT 0,
  due_at            timestamptz NOT NULL DEFAULT now(),
  hold              smallint NOT NULL DEFAULT 0,
  lease_owner       text,
  lease_expires_at  timestamptz,
  -- claims that ended without a recorded result (see 0006); poison at 3.
  unrecorded_claims smallint NOT NULL DEFAULT 0
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01,
        autovacuum_vacuum_insert_scale_factor = 0.05,
        autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_cost_delay = 0);
CREATE INDEX delivery_queue_due ON delivery_queue (due_at)
  WHERE hold = 0 /* ready */ AND lease_owner IS NULL;
CREATE INDEX delivery_queue_leased ON delivery_queue (lease_expires_at)
  WHERE lease_owner IS NOT NULL;
CREATE INDEX delivery_queue_by_endpoint ON delivery_queue (endpoint_id, due_at);

-- The hold an endpoint's queued rows get.
CREATE FUNCTION argus_queue_hold(state smallint, deleted_at timestamptz, rate integer)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT (CASE WHEN state <> 1 /* enabled */ OR deleted_at IS NOT NULL THEN 1 /* off */
               WHEN rate > 0 THEN 2 /* metered */
               ELSE 0 /* ready */ END)::smallint
$$;

-- The hold of an endpoint's rows now (off when it is unknown).
CREATE FUNCTION argus_endpoint_hold(endpoint uuid) RETURNS smallint
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT argus_queue_hold(state, deleted_at, rate_limit_per_second)
                   FROM endpoints WHERE id = endpoint), 1::smallint)
$$;

INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, attempts, retry_base,
                            due_at, hold)
SELECT d.id, d.bucket_at, d.event_id, d.endpoint_id, d.attempts - (d.state = 2)::int,
       d.retry_base, d.next_attempt_at,
       argus_queue_hold(ep.state, ep.deleted_at, ep.rate_limit_per_second)
FROM deliveries d JOIN endpoints ep ON ep.id = d.endpoint_id
WHERE d.state IN (1, 2) /* pending, in_flight */;
UPDATE deliveries SET state = 1 /* pending */, attempts = attempts - 1 WHERE state = 2;

DROP INDEX deliveries_due;
DROP INDEX deliveries_leased;
ALTER TABLE deliveries DROP COLUMN lease_owner, DROP COLUMN lease_expires_at,
                       DROP COLUMN unrecorded_claims;

-- Rate limits, one token bucket per limited endpoint, shared by every
-- replica: tokens are taken when metered rows are released to the queue.
CREATE TABLE endpoint_meters (
  endpoint_id  uuid PRIMARY KEY,
  tokens       double precision NOT NULL DEFAULT 1,
  refilled_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO endpoint_meters (endpoint_id)
SELECT id FROM endpoints WHERE rate_limit_per_second > 0 AND deleted_at IS NULL;

-- Releases due metered rows while their endpoints have tokens. A bucket
-- holds a tenth of a second's worth plus one request (the passes come
-- every 50 ms or so from each replica: a fraction that arrives between two
-- passes is kept, not cut off at a full bucket), so over any window the
-- endpoint gets at most its limit plus that. Each endpoint's
-- bucket is taken by one caller at a time (SKIP LOCKED: replicas never
-- wait for each other here). Returns how many rows it released.
CREATE FUNCTION argus_release_metered() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  released bigint := 0;
  m record;
  n bigint;
BEGIN
  FOR m IN
    SELECT em.endpoint_id, ep.rate_limit_per_second AS rate,
           least(greatest(1, ep.rate_limit_per_second / 10.0) + 1,
                 em.tokens + ep.rate_limit_per_second *
                             extract(epoch from clock_timestamp() - em.refilled_at)) AS tokens
    FROM endpoint_meters em JOIN endpoints ep ON ep.id = em.endpoint_id
    WHERE ep.rate_limit_per_second > 0
    FOR UPDATE OF em SKIP LOCKED
  LOOP
    WITH picked AS (
      SELECT delivery_id FROM delivery_queue
      WHERE endpoint_id = m.endpoint_id AND hold = 2 /* metered */ AND due_at <= now()
      ORDER BY due_at LIMIT floor(m.tokens)::bigint
      FOR UPDATE SKIP LOCKED)
    UPDATE delivery_queue q SET hold = 0 /* ready */
    FROM picked WHERE q.delivery_id = picked.delivery_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE endpoint_meters SET tokens = m.tokens - n, refilled_at = clock_timestamp()
    WHERE endpoint_id = m.endpoint_id;
    released := released + n;
  END LOOP;
  RETURN released;
END $$;

-- The deliverer caches endpoints (URL, format, headers, secrets, limits)
-- and reloads only those whose config_version is above the highest it has
-- seen. The counter is one row, bumped in the changing transaction and
-- held until it commits, so versions become visible in increasing order
-- (a sequence would not: a lower value could commit after a higher one was
-- read). Config changes are rare admin operations; the deliverer's summary
-- updates of endpoints (last_attempt_at and so on) do not bump it.
CREATE TABLE endpoint_config_version (
  id  int PRIMARY KEY CHECK (id = 1),
  v   bigint NOT NULL
);
INSERT INTO endpoint_config_version VALUES (1, 1);
ALTER TABLE endpoints ADD COLUMN config_version bigint NOT NULL DEFAULT 1;
CREATE INDEX endpoints_by_config_version ON endpoints (config_version);

CREATE FUNCTION argus_next_config_version() RETURNS bigint
LANGUAGE sql AS $$
  UPDATE endpoint_config_version SET v = v + 1 WHERE id = 1 RETURNING v
$$;

CREATE FUNCTION argus_endpoint_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.config_version := argus_next_config_version();
  RETURN NEW;
END $$;
CREATE TRIGGER endpoints_config_version_new BEFORE INSERT ON endpoints
FOR EACH ROW EXECUTE FUNCTION argus_endpoint_changed();
CREATE TRIGGER endpoints_config_version BEFORE UPDATE ON endpoints
FOR EACH ROW WHEN ((OLD.url, OLD.format, OLD.headers, OLD.sealed_headers, OLD.retry_schedule_ms,
                    OLD.rate_limit_per_second, OLD.state, OLD.deleted_at, OLD.org_id)
                   IS DISTINCT FROM
                   (NEW.url, NEW.format, NEW.headers, NEW.sealed_headers, NEW.retry_schedule_ms,
                    NEW.rate_limit_per_second, NEW.state, NEW.deleted_at, NEW.org_id))
EXECUTE FUNCTION argus_endpoint_changed();

CREATE FUNCTION argus_endpoint_secrets_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE endpoints SET config_version = argus_next_config_version()
  WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.endpoint_id ELSE NEW.endpoint_id END;
  RETURN NULL;
END $$;
CREATE TRIGGER endpoint_secrets_config_version AFTER INSERT OR UPDATE OR DELETE
ON endpoint_secrets FOR EACH ROW EXECUTE FUNCTION argus_endpoint_secrets_changed();

-- An endpoint paused, resumed, disabled, deleted or given another rate
-- limit: its queued rows that are not in flight get the new hold (those in
-- flight get it when their result is recorded), its meter appears or goes,
-- and a deleted endpoint's queue goes with it (its deliveries are cancelled
-- in the same transaction).
CREATE FUNCTION argus_endpoint_hold_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deleted_at IS NOT NULL THEN
    DELETE FROM delivery_queue WHERE endpoint_id = NEW.id;
  ELSE
    UPDATE delivery_queue
    SET hold = argus_queue_hold(NEW.state, NEW.deleted_at, NEW.rate_limit_per_second)
    WHERE endpoint_id = NEW.id AND lease_owner IS NULL
      AND hold <> argus_queue_hold(NEW.state, NEW.deleted_at, NEW.rate_limit_per_second);
  END IF;
  IF NEW.rate_limit_per_second > 0 AND NEW.deleted_at IS NULL THEN
    INSERT INTO endpoint_meters (endpoint_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM endpoint_meters WHERE endpoint_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER endpoints_queue_hold_new AFTER INSERT ON endpoints
FOR EACH ROW WHEN (NEW.rate_limit_per_second > 0)
EXECUTE FUNCTION argus_endpoint_hold_changed();
CREATE TRIGGER endpoints_queue_hold AFTER UPDATE ON endpoints
FOR EACH ROW WHEN ((OLD.state, OLD.deleted_at, OLD.rate_limit_per_second)
                   IS DISTINCT FROM (NEW.state, NEW.deleted_at, NEW.rate_limit_per_second))
EXECUTE FUNCTION argus_endpoint_hold_changed();

-- Retention: a week with a delivery in flight waits; pending deliveries are
-- carried forward as before, and so are their queue rows' partition keys.
CREATE OR REPLACE FUNCTION argus_drop_partitions(cutoff timestamptz)
RETURNS TABLE (dropped text, carried_forward bigint)
LANGUAGE plpgsql AS $$
DECLARE
  week date;
  suffix text;
  lo timestamptz;
  hi timestamptz;
  keep uuid[];
BEGIN
  FOR week IN
    SELECT to_date(right(c.relname, 8), 'YYYYMMDD')
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_[0-9]{8}$'
    ORDER BY 1
  LOOP
    suffix := to_char(week, 'YYYYMMDD');
    lo := week::timestamp AT TIME ZONE 'UTC';
    hi := (week + 7)::timestamp AT TIME ZONE 'UTC';
    EXIT WHEN hi > cutoff;
    EXECUTE format('LOCK TABLE %I, %I IN ACCESS EXCLUSIVE MODE',
                   'deliveries_' || suffix, 'events_' || suffix);
    PERFORM 1 FROM delivery_queue WHERE bucket_at >= lo AND bucket_at < hi FOR UPDATE;
    CONTINUE WHEN EXISTS (SELECT 1 FROM delivery_queue
                          WHERE bucket_at >= lo AND bucket_at < hi AND lease_owner IS NOT NULL);
    SELECT array_agg(DISTINCT event_id) INTO keep FROM delivery_queue
    WHERE bucket_at >= lo AND bucket_at < hi;
    carried_forward := 0;
    IF keep IS NOT NULL THEN
      UPDATE events SET bucket_at = now()
      WHERE bucket_at >= lo AND bucket_at < hi AND id = ANY (keep);
      UPDATE deliveries SET bucket_at = now()
      WHERE bucket_at >= lo AND bucket_at < hi AND event_id = ANY (keep);
      UPDATE delivery_queue SET bucket_at = now()
      WHERE bucket_at >= lo AND bucket_at < hi;
      GET DIAGNOSTICS carried_forward = ROW_COUNT;
    END IF;
    EXECUTE format('DROP TABLE %I, %I', 'deliveries_' || suffix, 'events_' || suffix);
    dropped := 'events_' || suffix || ', deliveries_' || suffix;
    RETURN NEXT;
  END LOOP;
  FOR week IN
    SELECT to_date(right(c.relname, 8), 'YYYYMMDD')
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'delivery_attempts'::regclass
      AND c.relname ~ '^delivery_attempts_[0-9]{8}$'
    ORDER BY 1
  LOOP
    EXIT WHEN (week + 7)::timestamp AT TIME ZONE 'UTC' > cutoff;
    dropped := 'delivery_attempts_' || to_char(week, 'YYYYMMDD');
    carried_forward := 0;
    EXECUTE format('DROP TABLE %I', dropped);
    RETURN NEXT;
  END LOOP;
END $$;
