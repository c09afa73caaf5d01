-- Debounced test-session rollups: which session.created events have been
-- counted (so a capture is applied exactly once, whether it came through
-- Observe or through catch-up), how far catch-up has scanned, and the index
-- that scan uses.

CREATE TABLE test_session_captures (
  event_id     uuid PRIMARY KEY,
  org_id       uuid NOT NULL,
  project      text NOT NULL,
  label        text NOT NULL,        -- '' when the event had no sessionName
  period       integer NOT NULL,     -- 0 when the event was not counted
  captured_at  timestamptz NOT NULL
);

CREATE TABLE debouncer_cursor (
  id          integer PRIMARY KEY CHECK (id = 1),
  scanned_to  timestamptz NOT NULL
);
INSERT INTO debouncer_cursor (id, scanned_to) VALUES (1, 'epoch');

CREATE INDEX events_session_created ON events (created_at) WHERE type = 'session.created';

-- A stable id per period, for keyset pagination of open sessions.
ALTER TABLE test_sessions ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX test_sessions_id ON test_sessions (id);
