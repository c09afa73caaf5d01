-- Argus Webhooks schema. Hot paths and the indexes that serve them:
--   claim due deliveries     deliveries_due (partial, state = pending)
--   expire dead leases       deliveries_leased (partial, state = in_flight)
--   list an endpoint's log   deliveries_by_endpoint
--   idempotent publish       idempotency_keys primary key
-- The hot update (a delivery changing state) touches only deliveries'
-- narrow row; the event payload lives once in events.

CREATE TABLE orgs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
  name        text NOT NULL,
  -- Bumped in every transaction that changes one of the org's endpoints, so
  -- event-ingest can tell in its own transaction whether its cached
  -- subscriptions are current.
  endpoints_version  bigint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
  org_id      uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  slug        text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,63}$'),
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, slug)
);

-- Only the SHA-256 of a token is kept.
CREATE TABLE api_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id      uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  scopes      text[] NOT NULL,
  label       text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- The catalog. Built-in types have org_id NULL.
CREATE TABLE event_types (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9_]+(\.[a-z0-9_]+)+$'),
  category    text NOT NULL,
  description text NOT NULL DEFAULT '',
  source      text NOT NULL DEFAULT 'builtin',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE endpoints (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id                 uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project                text,                       -- NULL: every project
  label                  text NOT NULL,
  url                    text NOT NULL,
  format                 smallint NOT NULL,          -- Format enum: 1 native, 2 slack, 3 discord
  event_types            text[] NOT NULL CHECK (cardinality(event_types) > 0),
  headers                jsonb NOT NULL DEFAULT '{}',
  retry_schedule_ms      integer[],                  -- NULL: default schedule
  rate_limit_per_second  integer NOT NULL DEFAULT 0,
  state                  smallint NOT NULL DEFAULT 1, -- EndpointState: 1 enabled, 2 paused, 3 disabled
  disabled_reason        text NOT NULL DEFAULT '',
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  deleted_at             timestamptz,
  -- Summary kept by the deliverer, so lists and stats need no scan of attempts.
  last_attempt_at        timestamptz,
  last_status_code       integer,
  last_error             text,
  last_success_at        timestamptz,
  consecutive_failures   integer NOT NULL DEFAULT 0
);
CREATE INDEX endpoints_by_org ON endpoints (org_id, created_at, id) WHERE deleted_at IS NULL;

-- Signing secrets, sealed with AES-256-GCM under ARGUS_SECRET_KEY. Several
-- rows are live during a rotation grace period.
CREATE TABLE endpoint_secrets (
  endpoint_id  uuid NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  version      integer NOT NULL,
  sealed       bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,                          -- NULL: current
  PRIMARY KEY (endpoint_id, version)
);

CREATE TABLE events (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id        uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project       text,
  type          text NOT NULL,
  occurred_at   timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  payload       text NOT NULL                        -- the data object, JSON text verbatim
);
CREATE INDEX events_by_org_type ON events (org_id, type, created_at);

-- Publish idempotency: a key is honoured for 24 h (checked on insert).
CREATE TABLE idempotency_keys (
  org_id      uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  key         text NOT NULL,
  event_id    uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, key)
);

-- One event to one endpoint. state: 1 pending, 2 in_flight, 3 succeeded,
-- 4 failed, 5 cancelled (DeliveryStatus enum).
CREATE TABLE deliveries (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id          uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  endpoint_id       uuid NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
  org_id            uuid NOT NULL,
  state             smallint NOT NULL DEFAULT 1,
  attempts          integer NOT NULL DEFAULT 0,
  -- attempts made before the last Redeliver/RecoverFailed: the retry
  -- schedule starts again from there.
  retry_base        integer NOT NULL DEFAULT 0,
  next_attempt_at   timestamptz NOT NULL DEFAULT now(),
  lease_owner       text,
  lease_expires_at  timestamptz,
  last_status_code  integer,
  last_error        text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz
) WITH (fillfactor = 80);  -- room for HOT updates of the state columns
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 1;
CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE state = 2;
CREATE INDEX deliveries_by_endpoint ON deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_open_by_endpoint ON deliveries (endpoint_id, state) WHERE state IN (1, 4);

CREATE TABLE delivery_attempts (
  delivery_id      uuid NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  endpoint_id      uuid NOT NULL,                   -- for per-endpoint stats without a join
  attempt          integer NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_us      bigint NOT NULL,
  status_code      integer NOT NULL DEFAULT 0,
  error            text NOT NULL DEFAULT '',        -- timeout, dns, connect, tls, ssrf_blocked, …
  response_body    text NOT NULL DEFAULT '',        -- first 1 KiB
  request_headers  jsonb NOT NULL DEFAULT '{}',     -- signatures removed
  PRIMARY KEY (delivery_id, attempt)
);
CREATE INDEX delivery_attempts_by_time ON delivery_attempts (started_at);
CREATE INDEX delivery_attempts_by_endpoint ON delivery_attempts (endpoint_id, started_at);

-- Debounced test-session rollups, one row per (org, project, label, period).
CREATE TABLE test_sessions (
  org_id            uuid NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
  project           text NOT NULL DEFAULT '',
  label             text NOT NULL,
  period            integer NOT NULL,
  captures          jsonb NOT NULL DEFAULT '[]',
  capture_count     integer NOT NULL DEFAULT 0,
  first_capture_at  timestamptz NOT NULL,
  last_capture_at   timestamptz NOT NULL,
  completed_at      timestamptz,
  completion_event  uuid,
  PRIMARY KEY (org_id, project, label, period)
);
CREATE INDEX test_sessions_open ON test_sessions (last_capture_at) WHERE completed_at IS NULL;
