-- Remembered consent and single sign-on (Unix seconds; src/db/consents.ts, src/http/session.ts).
-- A consent is one person's approval of one client for one redirect host; `scope` is the JSON array of every scope
-- approved there so far. A request for a subset of it, from a browser holding that person's session, skips the page.
CREATE TABLE consents (
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  redirect_host TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (user_id, client_id, redirect_host)
);
CREATE INDEX consents_client ON consents (client_id);

-- A deleted client takes its consents along (admin delete, the sweep of idle registrations). A metadata document's
-- cache row comes and goes with its freshness, so its consents stay: the client_id is the same URL next time.
CREATE TRIGGER clients_forget_consents AFTER DELETE ON clients WHEN OLD.kind != 'cimd'
BEGIN
  DELETE FROM consents WHERE client_id = OLD.client_id;
END;

-- "Sign out everywhere": sessions issued before this time (Unix milliseconds) are no longer accepted.
ALTER TABLE users ADD COLUMN sessions_revoked_at INTEGER;
