-- Poison quarantine, operator tokens, sealed custom header values.
--
-- deliveries.unrecorded_claims counts the claims of a delivery that ended
-- without a recorded result (the lease expired: the deliverer crashed or
-- hung while holding it). A claim adds one, a recorded result resets it, a
-- voluntary release takes its claim back. A delivery whose lease expires
-- with the count at the deliverer's limit (3) is not offered again: it ends
-- failed with error tag 'poison' (see the deliverer's ExpireLeases).
ALTER TABLE deliveries ADD COLUMN unrecorded_claims smallint NOT NULL DEFAULT 0;

-- Operator tokens (scope 'operator', for Deliverer.GetStatus and Drain)
-- belong to no org and carry that scope alone.
ALTER TABLE api_tokens ALTER COLUMN org_id DROP NOT NULL;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_org_or_operator
  CHECK ((org_id IS NULL) = (scopes = ARRAY['operator']));

-- Custom header values are sealed like signing secrets (AES-256-GCM under
-- ARGUS_SECRET_KEY, bound to the endpoint id); headers keeps the names with
-- the value "[redacted]". NULL: a row from before this migration whose
-- headers still hold the values: endpoint-registry seals those at start.
ALTER TABLE endpoints ADD COLUMN sealed_headers bytea;
