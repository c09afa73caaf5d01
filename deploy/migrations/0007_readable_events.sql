-- Events readable end to end (issue 15):
-- * occurred_at is the publisher's time, NULL when the publisher gave none
--   (the envelope then carries no occurred_at; created_at is the ingest time).
-- * each attempt keeps the start of the request body it sent (the signed
--   bytes, capped like the response body), so GetDelivery shows both sides.
ALTER TABLE events ALTER COLUMN occurred_at DROP NOT NULL;
ALTER TABLE delivery_attempts ADD COLUMN request_body text NOT NULL DEFAULT '';
