-- Events readable end to end, and queue depth exported once (issue 15):
-- * occurred_at is the publisher's time, NULL when the publisher gave none
--   (the envelope then carries no occurred_at; created_at is the ingest time).
-- * each attempt keeps the start of the request body it sent (the signed
--   bytes, capped like the response body), so GetDelivery shows both sides.
ALTER TABLE events ALTER COLUMN occurred_at DROP NOT NULL;
ALTER TABLE delivery_attempts ADD COLUMN request_body text NOT NULL DEFAULT '';

-- The queue depth is a property of the whole queue: one deliverer replica at
-- a time (the holder of this lease, renewed with every stats pass) exports
-- it, so sum() over replicas is the depth, not the depth times the replicas.
CREATE TABLE queue_reporter (
  id          int PRIMARY KEY CHECK (id = 1),
  owner       text NOT NULL,
  expires_at  timestamptz NOT NULL
);
INSERT INTO queue_reporter VALUES (1, '', '-infinity');
