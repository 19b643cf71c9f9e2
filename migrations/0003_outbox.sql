-- Webhook outbox (Unix seconds): one row per event to deliver at least once (src/db/outbox.ts, src/webhook/).
-- `payload` is the exact JSON body sent on every attempt; `last_error` names the failure ("HTTP 500", "timeout"),
-- never a secret. Pending rows are retried with backoff until 24 h after `created_at`, then marked dead.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
