// The upstream token vault's contract: what the Grant object keeps per provider, the shapes its vault transitions take
// and return (plain data and one callback: they cross Workers RPC), and its SQLite schema. See docs/storage.md "Vault".
import type { SealingKey } from "../crypto";

/** Tokens one provider issued, as the federation and the refresh receive them (plaintext: only in memory). */
export interface UpstreamTokens {
  accessToken: string;
  refreshToken?: string;
  /** When the upstream access token expires, epoch ms (absent when the provider did not say: then it never does here). */
  expiresAt?: number;
  idToken?: string;
  /** `token_type` of the token response (`bearer`, `DPoP`…), lower-cased; absent → bearer. */
  tokenType?: string;
  /** The scopes the provider granted (its `scope`, else the ones asked for), space-separated. */
  scope?: string;
}

/** What goes into the vault for one provider: its tokens and the upstream client they were issued to. */
export interface VaultDeposit {
  provider: string;
  /** The upstream `client_id` the tokens were issued to: a later one (the operator rotated it) cannot refresh them. */
  clientId: string;
  tokens: UpstreamTokens;
}

/** The vault's input where sealed values are written or read: the key (from UPSTREAM_TOKEN_KEY or the KeyRing). */
export interface VaultAccess {
  key: SealingKey;
}

/** One vault entry as listed: names and scopes, never a token. */
export interface LinkedProvider {
  provider: string;
  clientId: string;
  scope: string | null;
  tokenType: string;
  /** Epoch ms; `null` when the provider gave no expiry. */
  expiresAt: number | null;
  linkedAt: number;
  refreshedAt: number | null;
  /** Whether the entry can be refreshed (the provider issued a refresh token). */
  refreshable: boolean;
}

/** What the object asks its caller to do at the provider's token endpoint when a token is due (src/upstream/refresh.ts). */
export interface RefreshRequest {
  provider: string;
  refreshToken: string;
  /** The entry's scopes, for providers that want them repeated. */
  scope?: string;
}

/**
 * The refresh's answer. `terminal`: the provider refused the refresh token for good (`invalid_grant`, revoked,
 * `unauthorized_client`) — the grant is revoked; otherwise (network, 5xx, 429, after the caller's retries) the stored
 * tokens stay as they are and the call is answered as temporarily unavailable.
 */
export type RefreshOutcome = { ok: true; tokens: UpstreamTokens } | { ok: false; terminal: boolean; reason: string };

/**
 * Performs one refresh at the provider. Passed by the caller in `upstreamToken`'s input: over Workers RPC it becomes a
 * stub that runs in the calling Worker, where configuration, secrets and the transport live; the object only decides
 * when to call it and serializes the calls.
 */
export type UpstreamRefresher = (request: RefreshRequest) => Promise<RefreshOutcome>;

/** `upstreamToken`'s input. */
export interface UpstreamTokenInput extends VaultAccess {
  provider: string;
  /** The provider's `client_id` as configured now: an entry issued to another one is terminal. */
  clientId: string;
  refresh: UpstreamRefresher;
  /**
   * Where the object's alarm asks the Worker to refresh ahead of expiry (`POST`, through `ctx.exports.default`, so
   * it passes the host check: `PUBLIC_URL/…`); kept by the object. Without it, tokens are only refreshed on demand.
   */
  refreshAheadUrl?: string;
}

/** One provider the Worker can refresh for `refreshAhead`. */
export interface RefreshAheadProvider {
  provider: string;
  clientId: string;
  refresh: UpstreamRefresher;
}

/** `refreshAhead`'s input: the ticket the object's alarm sent with its request, and a refresher per provider. */
export interface RefreshAheadInput extends VaultAccess {
  ticket: string;
  providers: RefreshAheadProvider[];
}

/** A valid upstream access token handed to a tool or an origin. */
export interface UpstreamAccessToken {
  provider: string;
  accessToken: string;
  tokenType: string;
  scope: string | null;
  expiresAt: number | null;
  /** True when this call (or the one it waited for) refreshed the token. */
  refreshed: boolean;
}

/** The tokens taken out of the vault when entries are removed, so the caller can revoke them at the provider (RFC 7009). */
export interface RemovedUpstream {
  provider: string;
  clientId: string;
  tokens: UpstreamTokens;
}

/** One row of `upstream_vault` (epoch ms). Only `sealed` holds secrets; the rest is what listings and the alarm need. */
export interface VaultRow extends Record<string, SqlStorageValue> {
  provider: string;
  sealed: string;
  client_id: string;
  scope: string | null;
  token_type: string;
  expires_at: number | null;
  refreshable: number;
  linked_at: number;
  refreshed_at: number | null;
  used_at: number | null;
  ahead_tried_at: number | null;
}

/** The vault: one row per provider linked to the grant. Created with the grant's own tables. */
export const VAULT_SCHEMA = `CREATE TABLE IF NOT EXISTS upstream_vault (
  provider TEXT PRIMARY KEY,
  sealed TEXT NOT NULL,
  client_id TEXT NOT NULL,
  scope TEXT,
  token_type TEXT NOT NULL,
  expires_at INTEGER,
  refreshable INTEGER NOT NULL,
  linked_at INTEGER NOT NULL,
  refreshed_at INTEGER,
  used_at INTEGER,
  ahead_tried_at INTEGER
);
CREATE TABLE IF NOT EXISTS vault_settings (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  refresh_ahead_url TEXT
)`;
