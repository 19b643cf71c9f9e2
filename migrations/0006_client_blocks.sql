-- Blocked clients (Unix seconds; src/db/clients.ts, PUT/DELETE /admin/api/clients/:id/block). A block names a
-- client_id whether or not a client of that id is stored, so a metadata document URL can be blocked before its first
-- use; every client lookup reads it (with the client, in one query) before any fetch. Deleting a client keeps its block.
CREATE TABLE client_blocks (
  client_id TEXT PRIMARY KEY,
  blocked_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX client_blocks_at ON client_blocks (blocked_at, client_id);

-- A deleted client takes its consents along whatever its kind: a metadata document's row is no longer a cache that
-- comes and goes with its freshness (only an administrator, the sweep of long-unused documents and the MAX_CIMD_CLIENTS
-- eviction of never-used ones delete it), so its consents go with it like a registration's.
DROP TRIGGER clients_forget_consents;
CREATE TRIGGER clients_forget_consents AFTER DELETE ON clients
BEGIN
  DELETE FROM consents WHERE client_id = OLD.client_id;
END;
