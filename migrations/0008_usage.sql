-- Use per day × person × server × tool (src/db/usage.ts), written by the per-minute flush of src/mcp/usage.ts.
-- `day` is the UTC date (YYYY-MM-DD) of the requests; `server` the protected resource's path (/mcp, /mcp/<name>);
-- `tool` the name a `tools/call` named, '' for every other request. `requests` counts HTTP requests, `tool_calls`
-- the tools/call messages among them. The primary key leads with the day (the console's date range); the user
-- index serves a person's page and the admin API's user filter.
CREATE TABLE usage_daily (
  day TEXT NOT NULL,
  user_id TEXT NOT NULL,
  server TEXT NOT NULL,
  tool TEXT NOT NULL DEFAULT '',
  requests INTEGER NOT NULL DEFAULT 0,
  tool_calls INTEGER NOT NULL DEFAULT 0,
  last_used_at INTEGER NOT NULL,
  PRIMARY KEY (day, user_id, server, tool)
);
CREATE INDEX usage_daily_user ON usage_daily (user_id, day);

-- The protected resource (RFC 8707) a grant's tokens are bound to, for listings; NULL on grants from before.
ALTER TABLE grants ADD COLUMN resource TEXT;
