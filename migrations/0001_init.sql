-- Gatehouse schema, version 1. Times are Unix seconds. See docs/storage.md.

-- Registered clients: dynamic (RFC 7591), metadata documents (CIMD cache) and static ones.
CREATE TABLE clients (
  client_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('dcr', 'cimd', 'static')),
  client_secret_hash TEXT,
  client_name TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL,
  token_endpoint_auth_method TEXT NOT NULL,
  application_type TEXT NOT NULL,
  scope TEXT,
  metadata TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);

-- People who signed in, one row per upstream provider and subject.
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  email TEXT,
  email_verified INTEGER NOT NULL DEFAULT 0,
  domain TEXT,
  org_id TEXT,
  org_name TEXT,
  name TEXT,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  request_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (provider, subject)
);
CREATE INDEX users_email ON users (email);
CREATE INDEX users_domain ON users (domain);

-- An index of Grant Durable Objects, for listing and bulk revocation; the objects hold the state.
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'expired')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX grants_user ON grants (user_id);
CREATE INDEX grants_client ON grants (client_id);
CREATE INDEX grants_expires ON grants (expires_at);

-- Security and audit events, <entity>.<past-tense verb>; never a secret or a raw email.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  grant_id TEXT,
  client_id TEXT,
  user_id TEXT,
  detail TEXT
);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_type ON events (type, at);
