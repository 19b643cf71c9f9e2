// The Grant Durable Object's stored state: its SQLite schema, the row it keeps, the lifetimes of each state, and
// the shapes its transitions take and return (plain data: they cross Workers RPC). Documented in docs/storage.md.
import type { GrantIdentity } from "../identity";
import type { AuthorizationParams } from "../policy/authorize-request";
import type { CodePresentation, GrantStatus, PresentationError } from "../policy/grant-rules";
import type { RemovedUpstream, VaultAccess, VaultDeposit } from "./vault-state";

/** How long an approved request may wait for the upstream login to come back. */
export const PENDING_TTL_MS = 10 * 60_000;
/** Authorization code lifetime. @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2 (10 min max; we keep 60 s) */
export const CODE_TTL_MS = 60_000;
/** How long a revoked grant keeps a tombstone, so late presentations are reported as revoked rather than unknown. */
export const TOMBSTONE_MS = 24 * 3_600_000;

/** What `begin` stores. Raw secrets are hashed by the object and never stored; the leg's are sealed with `key`. */
export interface BeginInput extends VaultAccess {
  request: AuthorizationParams;
  /** Name of the upstream provider (config.upstreams[].name). */
  provider: string;
  /** The secret part of the upstream `state` handle. */
  stateSecret: string;
  /** Value of the browser-binding cookie set at approval. */
  browserBinding: string;
  /** The upstream leg's OIDC nonce and PKCE verifier, and Gatehouse's own callback URL. */
  nonce: string;
  codeVerifier: string;
  upstreamRedirectUri: string;
  /** How the upstream login was asked for: see PendingLogin. */
  sso?: SsoContext;
}

/** How a signed-in browser's request reached the upstream (src/policy/consent.ts). */
export interface SsoContext {
  /** Set when the consent page was skipped: the user whose remembered consent this relies on. */
  consentOf?: string;
  /** `none` when the upstream was asked to sign in without interaction. */
  upstreamPrompt?: "none" | "login";
}

/** What the callback gets back from `takePending` to finish the upstream leg. */
export interface PendingLogin {
  request: AuthorizationParams;
  /** The provider the person signs in with (the primary one, also during a linked provider's leg). */
  provider: string;
  nonce: string;
  codeVerifier: string;
  upstreamRedirectUri: string;
  sso?: SsoContext;
  /** Set on a linked provider's leg of a chained login (`nextLeg`): that provider, and the legs still to come. */
  linking?: LinkingLeg;
}

/** A linked provider's leg, as `takePending` hands it back. */
export interface LinkingLeg {
  provider: string;
  /** Linked providers still to connect after this one, in order. */
  links: string[];
  /** Who signed in with the primary provider, and when (epoch ms). */
  user: GrantIdentity;
  authTime: number;
}

/**
 * `nextLeg`'s input: the leg just finished is done (its tokens, and any reused link's, go into the vault; after the
 * primary leg, who signed in) and the grant waits again, for `provider`'s response, with a state, PKCE verifier and
 * nonce of its own. @see README "Linking several providers"
 */
export interface NextLegInput extends VaultAccess {
  provider: string;
  stateSecret: string;
  nonce: string;
  codeVerifier: string;
  upstreamRedirectUri: string;
  /** Linked providers still to connect after this one (kept sealed with the leg, handed back by `takePending`). */
  links: string[];
  user: GrantIdentity;
  authTime: number;
  upstream?: VaultDeposit[];
}

/** `takePending`'s input: the presented state secret, the browser's binding cookie, and the key to open the leg. */
export interface TakeInput extends VaultAccess {
  stateSecret: string;
  browserBinding: string | undefined;
  /** The provider named by the callback path (`/callback/<provider>`), absent at the plain `/callback`. */
  callbackProvider?: string;
}

/** `completeLogin`'s input: who signed in, and the upstream tokens for the vault (sealed by the object with `key`). */
export interface LoginInput extends VaultAccess {
  user: GrantIdentity;
  upstream?: VaultDeposit[];
  /** When the person last authenticated at the upstream, epoch ms: the ID token's `auth_time`, else the callback's time. */
  authTime: number;
}

/** A grant created for a browser whose person is already signed in: straight to `code_issued`, no upstream leg. */
export interface SignedInBeginInput extends VaultAccess {
  request: AuthorizationParams;
  provider: string;
  user: GrantIdentity;
  /** The lender's upstream tokens without their refresh tokens (see `SignedInLogin.upstream`). */
  upstream?: VaultDeposit[];
  /** The lending grant's upstream authentication time (epoch ms), kept: the new grant is no fresher than that login. */
  authTime: number;
  /** REFRESH_MAX_TTL: the new grant ends at the latest this many seconds after `authTime`. */
  refreshMaxTtlSeconds: number;
}

/** What `signedInLogin` checks before lending the grant's identity. */
export interface LendInput extends VaultAccess {
  /** SSO_MAX_AGE: the identity is lent only this many seconds after the person last authenticated upstream. */
  ssoMaxAgeSeconds: number;
}

/** A live grant's signed-in person and upstream access tokens, for a new grant of the same person to start from. */
export interface SignedInLogin {
  provider: string;
  user: GrantIdentity;
  /**
   * The vault's access tokens, never its refresh tokens: a refresh token shared by two grants would be spent by the
   * first to refresh and refused to the other (single-use rotation), so only the lender keeps refreshing.
   */
  upstream: VaultDeposit[];
  /** When the person last authenticated at the upstream, epoch ms. */
  authTime: number;
}

/** What a redemption presents besides the code (src/policy/grant-rules.ts), and whether to start a refresh family. */
export interface RedemptionInput extends CodePresentation {
  /** Whether the client may use the refresh_token grant: then the first refresh token of the family is issued. */
  issueRefreshToken: boolean;
}

/** What a successful redemption or refresh hands to the token endpoint to mint tokens. */
export interface IssuedGrant {
  grantId: string;
  user: GrantIdentity;
  clientId: string;
  /** The scope of this issuance: the granted scope, or the narrower one a refresh asked for. */
  scope: string;
  resource: string;
  createdAt: number;
  /** When the grant ends at the latest (absolute refresh TTL), epoch milliseconds. */
  expiresAt: number;
  /** The refresh token to return (`gh1r_…`), when the client may refresh. */
  refreshToken?: string;
}

/** A refresh token as introspection reports it. @see RFC 7662 §2.2 */
export interface RefreshTokenInfo {
  grantId: string;
  user: GrantIdentity;
  clientId: string;
  scope: string;
  resource: string;
  /** Epoch milliseconds. */
  issuedAt: number;
  expiresAt: number;
}

/** Why a transition was refused; the Worker maps each to its protocol error. */
export type GrantError =
  | PresentationError
  | "not_found"
  | "binding_mismatch"
  | "stale_login"
  | "provider_mismatch"
  /** The vault has no entry for the provider asked for, or one this key cannot open. */
  | "not_linked"
  /** The provider could not refresh right now (network, 5xx, 429): nothing changed, try again later. */
  | "upstream_unavailable"
  /** The provider refused the refresh for good: this call revoked the grant. */
  | "upstream_revoked";

/** A refused transition. `revoked` is true when this very call revoked the grant (e.g. a replayed code). */
export interface GrantFailure {
  ok: false;
  error: GrantError;
  /** For logs and events: names the failed check, never a secret. */
  reason: string;
  revoked?: boolean;
  /**
   * When this call revoked the grant and its caller passed the vault key: the vault's tokens as they left storage,
   * for the caller to revoke at their providers (RFC 7009) in the background. Absent when none could be opened.
   */
  upstream?: RemovedUpstream[];
}

export type GrantResult<T> = ({ ok: true } & T) | GrantFailure;

/** The one row of `grant_state` (times in epoch milliseconds). */
export interface GrantRow extends Record<string, SqlStorageValue> {
  status: GrantStatus;
  request: string;
  provider: string;
  created_at: number;
  expires_at: number;
  state_hash: string | null;
  upstream_leg: string | null;
  binding_hash: string | null;
  user: string | null;
  /** The provider of the pending leg when it is a linked provider's (`nextLeg`); `null` (or absent, in older objects) for the primary leg. */
  leg_provider: string | null;
  /** Unused since the vault (`upstream_vault`): objects from before it may still have a value, never read. */
  upstream_tokens: string | null;
  code_hash: string | null;
  code_redeemed_at: number | null;
  active_at: number | null;
  idle_expires_at: number | null;
  max_expires_at: number | null;
  revoked_at: number | null;
  revoke_reason: string | null;
  refresh_key: string | null;
  /** Missing from the row (read as `undefined`) in objects begun before the column existed: never lent, then. */
  auth_time: number | null;
}

/** One refresh token of the grant's family (all of them are kept, so any reuse is recognised). */
export interface RefreshTokenRow extends Record<string, SqlStorageValue> {
  hash: string;
  issued_at: number;
  /** Set when the token was rotated; the token is then "used" and `successor_hash` names its successor. */
  rotated_at: number | null;
  successor_hash: string | null;
}

/**
 * `grant_state` has one row per object (`singleton = 1`); the refresh family's idle and absolute expiry are kept
 * there in `idle_expires_at` / `max_expires_at`, and `refresh_key` derives each successor refresh token from its
 * predecessor (so a retry within the replay window gets the same successor without storing it). `auth_time` is
 * when the person last authenticated at the upstream; a grant created by single sign-on carries its lender's, and its
 * `max_expires_at` is set at creation to that time plus REFRESH_MAX_TTL. `refresh_tokens` holds the hash of every
 * refresh token the family has had.
 */
export const GRANT_SCHEMA = `CREATE TABLE IF NOT EXISTS grant_state (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  status TEXT NOT NULL CHECK (status IN ('pending', 'login', 'code_issued', 'active', 'revoked')),
  request TEXT NOT NULL,
  provider TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state_hash TEXT,
  upstream_leg TEXT,
  binding_hash TEXT,
  user TEXT,
  upstream_tokens TEXT,
  code_hash TEXT,
  code_redeemed_at INTEGER,
  active_at INTEGER,
  idle_expires_at INTEGER,
  max_expires_at INTEGER,
  revoked_at INTEGER,
  revoke_reason TEXT,
  refresh_key TEXT,
  auth_time INTEGER,
  leg_provider TEXT
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  hash TEXT PRIMARY KEY,
  issued_at INTEGER NOT NULL,
  rotated_at INTEGER,
  successor_hash TEXT
)`;

/** A refusal; `revoked` only when the call itself revoked the grant. */
export function refuse(error: GrantError, reason: string, revoked?: boolean): GrantFailure {
  return revoked ? { ok: false, error, reason, revoked } : { ok: false, error, reason };
}
