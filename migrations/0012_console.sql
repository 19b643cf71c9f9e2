-- The admin console (issue 18): blocked people, the feedback tool's submissions, and the indexes behind the console's
-- overview, people search and person pages, so each stays an index range at 10^5 people and 10^7 usage rows.

-- When an administrator blocked the person (Unix seconds); NULL when not blocked. A blocked person cannot sign in,
-- and every refresh of their grants fails (src/oauth/grants/refresh-token.ts).
ALTER TABLE users ADD COLUMN blocked_at INTEGER;
-- The person's groups at their last sign-in that are among ADMIN_GROUPS (JSON array), for the console's admission;
-- NULL when none. Only those are kept: Gatehouse has no use for the rest of a directory's groups.
ALTER TABLE users ADD COLUMN admin_groups TEXT;
-- People search: email case-insensitively, organisation by id or name; the overview's active people per domain/org.
CREATE INDEX users_email_lower ON users (lower(email));
CREATE INDEX users_org_id ON users (org_id);
CREATE INDEX users_org_name ON users (org_name);
CREATE INDEX users_last_seen ON users (last_seen_at, domain, org_name);
CREATE INDEX users_blocked ON users (blocked_at) WHERE blocked_at IS NOT NULL;

-- The overview's daily series and top tools read only this index (covering): no table row is visited.
CREATE INDEX usage_daily_day_counts ON usage_daily (day, user_id, tool, requests, tool_calls);
-- A tool's or server's usage over time (usage filters and the console's links).
CREATE INDEX usage_daily_tool ON usage_daily (tool, day);
CREATE INDEX usage_daily_server ON usage_daily (server, day);

-- Events of a person or client, newest first (the person's and client's pages, the events filters).
CREATE INDEX events_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_client ON events (client_id, id) WHERE client_id IS NOT NULL;

-- What people sent with the `submit_feedback` tool (src/db/feedback.ts): the person as verified at the time of
-- sending, never written to a log. `context` is the page or task the assistant said the feedback is about.
CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  email TEXT,
  domain TEXT,
  org_id TEXT,
  org_name TEXT,
  client_id TEXT NOT NULL,
  category TEXT NOT NULL,
  message TEXT NOT NULL,
  context TEXT
);
CREATE INDEX feedback_created ON feedback (created_at, id);
CREATE INDEX feedback_user ON feedback (user_id, created_at);

-- The overview's daily figures of closed days (src/db/rollups.ts): computed once from usage_daily and events when the
-- console first shows a day that ended over an hour ago (every per-minute flush of it has landed by then), so the
-- overview reads 30 or 90 rows here plus the open days' rows, whatever usage_daily holds.
CREATE TABLE console_daily (
  day TEXT PRIMARY KEY,
  people INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  tool_calls INTEGER NOT NULL,
  sign_ins INTEGER NOT NULL,
  computed_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE console_daily_tools (
  day TEXT NOT NULL,
  tool TEXT NOT NULL,
  calls INTEGER NOT NULL,
  PRIMARY KEY (day, tool)
) WITHOUT ROWID;
