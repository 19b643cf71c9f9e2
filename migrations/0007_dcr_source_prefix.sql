-- Registration flood control (Unix seconds; src/oauth/register.ts, src/sweep.ts). `source_hash` is the SHA-256 of the
-- source a dynamic client registered from (an IPv4 address or an IPv6 /64, src/policy/source-prefix.ts), so the
-- never-used registrations of one source can be counted and capped (MAX_DCR_CLIENTS_PER_SOURCE). NULL for rows
-- registered before this migration and for every other kind of client.
ALTER TABLE clients ADD COLUMN source_hash TEXT;
CREATE INDEX clients_source_unused ON clients (source_hash, last_used_at);
-- The sweep's eviction near MAX_DCR_CLIENTS reads the oldest never-used registrations first.
CREATE INDEX clients_unused_age ON clients (kind, created_at) WHERE last_used_at IS NULL;
