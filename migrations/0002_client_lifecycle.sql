-- Client lifecycle (Unix seconds).
-- Client ID Metadata Documents: when a cached document was fetched, and until when it is fresh; a stale document
-- keeps serving for 7 days after fetched_at while its origin fails (src/oauth/cimd.ts).
ALTER TABLE clients ADD COLUMN fetched_at INTEGER;
ALTER TABLE clients ADD COLUMN fresh_until INTEGER;
-- Dynamic registration: SHA-256 of the normalised metadata and the source address, so an identical registration
-- from the same source within a day returns the same public client (src/oauth/register.ts).
ALTER TABLE clients ADD COLUMN registration_hash TEXT;
CREATE INDEX clients_registration ON clients (registration_hash, created_at);
CREATE INDEX clients_kind_use ON clients (kind, last_used_at, created_at);
