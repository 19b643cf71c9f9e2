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
