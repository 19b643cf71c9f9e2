-- Linked providers (issue 16, src/db/links.ts): the accounts a person connected at providers that MCP servers require
-- besides the one they sign in with. One row per person (users.id, their sign-in identity) and provider: the account
-- there (`subject`, and `label`, its name or login as the person recognises it, for /account), and `grant_id`, the
-- grant whose token vault holds that provider's tokens from the newest connection. A link is live while that grant
-- is (the grants index); disconnecting deletes the row and revokes the grants that require the provider.
CREATE TABLE provider_links (
  user_id TEXT NOT NULL,
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  label TEXT,
  grant_id TEXT NOT NULL,
  linked_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, provider)
);
