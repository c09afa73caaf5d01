-- Ordered endpoints (issue 18): one delivery at a time, in commit order,
-- whichever replica sends it.
--
-- An ordered endpoint's deliveries get a sequence number when they are
-- written (endpoint_order.last_sequence + 1, under that row's lock, so the
-- numbers follow commit order). Of its queue rows with a sequence, only the
-- head (the lowest number) has its endpoint's hold; every other one is
-- held "behind" (hold 3) and outside the due index, so no claim reads it.
-- When the head's queue row goes (succeeded, failed, cancelled), the next
-- lowest gets its endpoint's hold in the same statement
-- (argus_next_in_order). Whoever adds or removes a sequenced row first locks
-- the endpoint's endpoint_order row, and the statements that decide "head or
-- behind" run after that lock with a snapshot of their own: a publish and a
-- recorded result of the same endpoint can never both miss each other.
--
-- endpoints.ordering: 0 unordered, 1 ordered (argus.webhooks.v1.Ordering).
-- endpoints.on_ordered_failure: 1 pause, 2 skip (OrderedFailure).
-- endpoints.state gains 4, "paused by an ordered failure": shown as PAUSED,
-- its queue is held like a paused endpoint's, but unlike an admin's pause it
-- still gets new deliveries (nothing is skipped); ResumeEndpoint, or
-- Redeliver of one of its deliveries, continues from the head.
ALTER TABLE endpoints ADD COLUMN ordering smallint NOT NULL DEFAULT 0,
                      ADD COLUMN on_ordered_failure smallint NOT NULL DEFAULT 1;
ALTER TABLE deliveries ADD COLUMN sequence bigint;
ALTER TABLE delivery_queue ADD COLUMN sequence bigint;
CREATE INDEX delivery_queue_in_order ON delivery_queue (endpoint_id, sequence)
  WHERE sequence IS NOT NULL;

CREATE TABLE endpoint_order (
  endpoint_id    uuid PRIMARY KEY,
  last_sequence  bigint NOT NULL DEFAULT 0
);

-- A delivery written with sequence 0 gets its endpoint's next number.
CREATE FUNCTION argus_assign_sequence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO endpoint_order AS o (endpoint_id, last_sequence) VALUES (NEW.endpoint_id, 1)
  ON CONFLICT (endpoint_id) DO UPDATE SET last_sequence = o.last_sequence + 1
  RETURNING last_sequence INTO NEW.sequence;
  RETURN NEW;
END $$;
CREATE TRIGGER deliveries_sequence BEFORE INSERT ON deliveries
FOR EACH ROW WHEN (NEW.sequence = 0) EXECUTE FUNCTION argus_assign_sequence();

-- A sequenced queue row waits behind any other of its endpoint. Rows of
-- one statement are inserted in sequence order (the writers sort them);
-- each sees the ones before it.
CREATE FUNCTION argus_queue_in_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM endpoint_order WHERE endpoint_id = NEW.endpoint_id FOR UPDATE;
  IF EXISTS (SELECT 1 FROM delivery_queue
             WHERE endpoint_id = NEW.endpoint_id AND sequence IS NOT NULL
               AND delivery_id <> NEW.delivery_id) THEN
    NEW.hold := 3;  -- behind
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER delivery_queue_in_order BEFORE INSERT ON delivery_queue
FOR EACH ROW WHEN (NEW.sequence IS NOT NULL) EXECUTE FUNCTION argus_queue_in_order();

-- Heads went: the next lowest number of each of their endpoints gets its
-- endpoint's hold. Once per statement, over all the rows it deleted (a
-- batch of results ends many endpoints' heads at once), the endpoints'
-- order rows locked in id order.
CREATE FUNCTION argus_next_in_order() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ended uuid[];
BEGIN
  SELECT array_agg(DISTINCT endpoint_id ORDER BY endpoint_id) INTO ended FROM gone
  WHERE sequence IS NOT NULL AND hold <> 3 /* behind */;
  IF ended IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM endpoint_order WHERE endpoint_id = ANY (ended) ORDER BY endpoint_id FOR UPDATE;
  UPDATE delivery_queue q SET hold = argus_endpoint_hold(q.endpoint_id)
  FROM unnest(ended) AS e(endpoint_id),
       LATERAL (SELECT delivery_id, hold FROM delivery_queue
                WHERE endpoint_id = e.endpoint_id AND sequence IS NOT NULL
                ORDER BY sequence LIMIT 1) next
  WHERE q.delivery_id = next.delivery_id AND next.hold = 3 /* behind */;
  RETURN NULL;
END $$;
CREATE TRIGGER delivery_queue_next_in_order AFTER DELETE ON delivery_queue
REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION argus_next_in_order();

-- Makes an endpoint's queue ordered or unordered (UpdateEndpoint changing
-- `ordering`, holding the endpoint's row; the order row is taken here,
-- after it, as result writes take them). Ordered: the
-- deliveries not yet started (no attempt, no lease) get numbers in the order
-- they were created, the first of them the head unless a sequenced row is
-- queued already. Unordered: every queued row loses its number and nothing
-- waits behind another.
CREATE FUNCTION argus_order_queue(endpoint uuid, ordered boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  base bigint;
  had_head boolean;
BEGIN
  INSERT INTO endpoint_order (endpoint_id) VALUES (endpoint) ON CONFLICT DO NOTHING;
  PERFORM 1 FROM endpoint_order WHERE endpoint_id = endpoint FOR UPDATE;
  IF NOT ordered THEN
    UPDATE delivery_queue
    SET sequence = NULL,
        hold = CASE WHEN hold = 3 /* behind */ THEN argus_endpoint_hold(endpoint) ELSE hold END
    WHERE endpoint_id = endpoint AND sequence IS NOT NULL;
    RETURN;
  END IF;
  SELECT last_sequence INTO base FROM endpoint_order WHERE endpoint_id = endpoint;
  had_head := EXISTS (SELECT 1 FROM delivery_queue
                      WHERE endpoint_id = endpoint AND sequence IS NOT NULL);
  WITH n AS MATERIALIZED (
    SELECT q.delivery_id, q.bucket_at,
           base + row_number() OVER (ORDER BY d.created_at, d.id) AS seq
    FROM delivery_queue q JOIN deliveries d ON d.id = q.delivery_id AND d.bucket_at = q.bucket_at
    WHERE q.endpoint_id = endpoint AND q.sequence IS NULL AND q.attempts = 0
      AND q.lease_owner IS NULL),
  queued AS (
    UPDATE delivery_queue q SET sequence = n.seq,
      hold = CASE WHEN n.seq = base + 1 AND NOT had_head THEN q.hold ELSE 3 /* behind */ END
    FROM n WHERE q.delivery_id = n.delivery_id),
  history AS (
    UPDATE deliveries d SET sequence = n.seq
    FROM n WHERE d.id = n.delivery_id AND d.bucket_at = n.bucket_at)
  UPDATE endpoint_order SET last_sequence = base + (SELECT count(*) FROM n)
  WHERE endpoint_id = endpoint;
END $$;

-- A paused, resumed or re-limited endpoint: rows behind the head stay
-- behind (only the head carries the endpoint's hold).
CREATE OR REPLACE FUNCTION argus_endpoint_hold_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.deleted_at IS NOT NULL THEN
    DELETE FROM delivery_queue WHERE endpoint_id = NEW.id;
  ELSE
    UPDATE delivery_queue
    SET hold = argus_queue_hold(NEW.state, NEW.deleted_at, NEW.rate_limit_per_second)
    WHERE endpoint_id = NEW.id AND lease_owner IS NULL AND hold <> 3 /* behind */
      AND hold <> argus_queue_hold(NEW.state, NEW.deleted_at, NEW.rate_limit_per_second);
  END IF;
  IF NEW.rate_limit_per_second > 0 AND NEW.deleted_at IS NULL THEN
    INSERT INTO endpoint_meters (endpoint_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  ELSE
    DELETE FROM endpoint_meters WHERE endpoint_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;

-- The deliverer caches on_ordered_failure: a change bumps the config version.
DROP TRIGGER endpoints_config_version ON endpoints;
CREATE TRIGGER endpoints_config_version BEFORE UPDATE ON endpoints
FOR EACH ROW WHEN ((OLD.url, OLD.format, OLD.headers, OLD.sealed_headers, OLD.retry_schedule_ms,
                    OLD.rate_limit_per_second, OLD.state, OLD.deleted_at, OLD.org_id,
                    OLD.on_ordered_failure)
                   IS DISTINCT FROM
                   (NEW.url, NEW.format, NEW.headers, NEW.sealed_headers, NEW.retry_schedule_ms,
                    NEW.rate_limit_per_second, NEW.state, NEW.deleted_at, NEW.org_id,
                    NEW.on_ordered_failure))
EXECUTE FUNCTION argus_endpoint_changed();
