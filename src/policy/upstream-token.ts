// When a vaulted upstream access token can be served as it is, must be refreshed first, or can never be refreshed
// again (the grant then ends): the Grant object's `upstreamToken` applies this decision.
// @see https://www.rfc-editor.org/rfc/rfc6749#section-6

/** A token expiring within this margin is refreshed before it is handed out, so it outlives the call that uses it. */
export const REFRESH_MARGIN_MS = 60_000;

/** What the decision needs of a vault entry (no secret). */
export interface VaultEntryState {
  /** Epoch ms; `null` when the provider gave no expiry (the token is then served until the provider refuses it). */
  expiresAt: number | null;
  refreshable: boolean;
  /** The upstream client the tokens were issued to. */
  clientId: string;
}

export type UpstreamTokenDecision = { action: "serve" } | { action: "refresh" } | { action: "terminal"; reason: string };

/**
 * Serve while the token is valid for more than REFRESH_MARGIN_MS; else refresh, unless there is no refresh token or
 * it was issued to another upstream client than the one configured now (the operator rotated `client_id`: the
 * provider would refuse it on every attempt), which is terminal.
 */
export function decideUpstreamToken(entry: VaultEntryState, configuredClientId: string, now: number): UpstreamTokenDecision {
  if (entry.expiresAt === null || entry.expiresAt - now > REFRESH_MARGIN_MS) return { action: "serve" };
  if (!entry.refreshable) return { action: "terminal", reason: "upstream access token expired and no refresh token was issued" };
  if (entry.clientId !== configuredClientId) return { action: "terminal", reason: "upstream refresh token was issued to another client_id" };
  return { action: "refresh" };
}

/** Entries asked for within this long are kept refreshed ahead of expiry by the grant's alarm. */
export const RECENT_USE_MS = 24 * 3_600_000;
/** A proactive refresh happens this long before expiry (or at half the token's life, when that is later). */
export const REFRESH_AHEAD_MS = 5 * 60_000;
/** After a proactive attempt, the next one waits at least this long (a provider that is down is not hammered). */
export const AHEAD_RETRY_MS = 5 * 60_000;

/** What the proactive refresh needs of a vault entry (epoch ms). */
export interface AheadEntryState {
  expiresAt: number | null;
  refreshable: boolean;
  /** When the current access token was issued: the last refresh, else the deposit. */
  issuedAt: number;
  usedAt: number | null;
  aheadTriedAt: number | null;
}

/**
 * When the alarm should refresh the entry ahead of its expiry, or `undefined` when it should not: not refreshable,
 * no expiry, or not used within RECENT_USE_MS (of that time). Never earlier than half the token's life, so a
 * short-lived token is not refreshed over and over, nor sooner than AHEAD_RETRY_MS after the last attempt.
 */
export function refreshAheadAt(entry: AheadEntryState): number | undefined {
  if (!entry.refreshable || entry.expiresAt === null || entry.usedAt === null) return undefined;
  const halfLife = entry.issuedAt + (entry.expiresAt - entry.issuedAt) / 2;
  let at = Math.max(entry.expiresAt - REFRESH_AHEAD_MS, halfLife);
  if (entry.aheadTriedAt !== null) at = Math.max(at, entry.aheadTriedAt + AHEAD_RETRY_MS);
  return at - entry.usedAt > RECENT_USE_MS ? undefined : Math.floor(at);
}
