// What a grant does when its code or a refresh token is presented: pure decisions the Grant Durable Object
// (src/durable/grant.ts) takes inside its synchronous transaction, then applies to its storage.
import { timingSafeEqual } from "../crypto";
import type { AuthorizationParams } from "./authorize-request";

/**
 * `pending` (approved, waiting for the upstream callback) → `login` (the callback took the pending state once;
 * the upstream exchange is in flight) → `code_issued` → `active` (code redeemed; tokens issued) → `revoked`.
 * Expiry of any state deletes the object's storage, so "expired" is never stored.
 */
export type GrantStatus = "pending" | "login" | "code_issued" | "active" | "revoked";

/** A second redemption by the same client with the right verifier this soon after the first is a duplicate, not theft. */
export const DUPLICATE_WINDOW_MS = 10_000;

/** Why a presented code or refresh token is refused. */
export type PresentationError =
  | "invalid_secret"
  | "wrong_state"
  | "expired"
  | "revoked"
  | "client_mismatch"
  | "redirect_uri_mismatch"
  | "pkce_mismatch"
  | "resource_mismatch"
  | "duplicate_submission"
  | "code_replayed"
  | "scope_widened"
  | "refresh_reused";

/** A refusal; with `revokeReason` the grant is revoked for it (the reason it records), else nothing changes. */
export interface Refusal {
  ok: false;
  error: PresentationError;
  /** For logs and events: names the failed check, never a secret. */
  reason: string;
  revokeReason?: string;
}

/** What a redemption presents besides the code (client already authenticated by the Worker). */
export interface CodePresentation {
  clientId: string;
  redirectUri?: string;
  /** base64url(SHA-256(code_verifier)), computed by the Worker: compared with the stored challenge. */
  verifierChallenge: string;
  resource?: string;
  /** REFRESH_IDLE_TTL and REFRESH_MAX_TTL, seconds: the refresh family's idle and absolute lifetimes. */
  refreshIdleTtlSeconds: number;
  refreshMaxTtlSeconds: number;
}

/** The grant as a code redemption meets it. Times in epoch milliseconds. */
export interface CodeState {
  status: GrantStatus;
  request: Pick<AuthorizationParams, "clientId" | "redirectUri" | "redirectUriSent" | "codeChallenge" | "resource">;
  /** SHA-256 of the issued code's secret; `null` when no code was issued. */
  codeHash: string | null;
  codeRedeemedAt: number | null;
  expiresAt: number;
  /** Set at creation for a grant begun by single sign-on: REFRESH_MAX_TTL after the lent login. */
  maxExpiresAt: number | null;
}

/** A redemption that wins: the refresh family's first idle and absolute expiry. */
export type RedeemDecision = Refusal | { ok: true; idleExpiresAt: number; maxExpiresAt: number };

const refusal = (error: PresentationError, reason: string, revokeReason?: string): Refusal =>
  revokeReason === undefined ? { ok: false, error, reason } : { ok: false, error, reason, revokeReason };

/**
 * Redeems a code: exactly one presentation wins. One that fails a check (wrong client, redirect URI, verifier,
 * resource) changes nothing. Once redeemed, a duplicate submission (same client, right verifier, within
 * DUPLICATE_WINDOW_MS) is refused without harm; any other second presentation revokes the grant.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export function decideRedemption(state: CodeState, presentedHash: string, presented: CodePresentation, now: number): RedeemDecision {
  const { request } = state;
  if (state.codeHash === null || !timingSafeEqual(presentedHash, state.codeHash)) return refusal("invalid_secret", "code does not match");
  if (state.status === "revoked") return refusal("revoked", "code presented after revocation");
  if (state.status === "active") {
    const duplicate =
      presented.clientId === request.clientId &&
      timingSafeEqual(presented.verifierChallenge, request.codeChallenge) &&
      state.codeRedeemedAt !== null &&
      now - state.codeRedeemedAt <= DUPLICATE_WINDOW_MS;
    if (duplicate) return refusal("duplicate_submission", "code submitted again by the same client within the duplicate window");
    return refusal("code_replayed", "code presented after it was redeemed", "authorization code replayed");
  }
  if (state.status !== "code_issued") return refusal("wrong_state", `code presented while ${state.status}`);
  if (state.expiresAt <= now) return refusal("expired", "code expired");
  if (presented.clientId !== request.clientId) return refusal("client_mismatch", "code issued to another client");
  if ((request.redirectUriSent || presented.redirectUri !== undefined) && presented.redirectUri !== request.redirectUri) {
    return refusal("redirect_uri_mismatch", presented.redirectUri === undefined ? "redirect_uri missing" : "redirect_uri differs");
  }
  if (!timingSafeEqual(presented.verifierChallenge, request.codeChallenge)) return refusal("pkce_mismatch", "code_verifier does not match");
  if (presented.resource !== undefined && presented.resource !== request.resource) return refusal("resource_mismatch", "resource differs");
  const maxExpiresAt = Math.min(now + presented.refreshMaxTtlSeconds * 1000, state.maxExpiresAt ?? Number.POSITIVE_INFINITY);
  return { ok: true, idleExpiresAt: Math.min(now + presented.refreshIdleTtlSeconds * 1000, maxExpiresAt), maxExpiresAt };
}

/** What a refresh presents besides the token (client already authenticated by the Worker). */
export interface RefreshPresentation {
  clientId: string;
  /** The requested scope tokens; `undefined` keeps the granted scope. Each must have been granted. @see RFC 6749 §6 */
  scope?: string[];
  resource?: string;
  /** REFRESH_REPLAY_WINDOW: seconds after a rotation in which the same client may present the previous token again. */
  replayWindowSeconds: number;
  /** REFRESH_IDLE_TTL, seconds: how far each rotation moves the idle expiry (never past the absolute one). */
  refreshIdleTtlSeconds: number;
}

/** A refresh token of the family, as the rotation rule reads it. */
export interface FamilyToken {
  hash: string;
  /** Set once the token was rotated: it is then "used". */
  rotatedAt: number | null;
}

/** The grant as a refresh presentation meets it. Times in epoch milliseconds. */
export interface RefreshState {
  status: GrantStatus;
  request: Pick<AuthorizationParams, "clientId" | "scope" | "resource">;
  expiresAt: number;
  maxExpiresAt: number | null;
  /** The family's token with the presented hash; `undefined` when there is none. */
  token: FamilyToken | undefined;
  /** That token's successor, when it was rotated. */
  successor: FamilyToken | undefined;
  /** The hash of the successor derived from the presented token (the one a retry gets back). */
  derivedSuccessorHash: string;
}

/**
 * A rotation that wins (`replayed: false`: the token becomes used and its successor is issued, moving the idle
 * expiry to `idleExpiresAt`) or an idempotent retry (`replayed: true`: the same successor again, nothing written).
 */
export type RotateDecision = Refusal | { ok: true; replayed: boolean; scope: string; idleExpiresAt: number; maxExpiresAt: number };

/**
 * Rotates a refresh token: exactly one presentation wins per token, and the presented token becomes "previous".
 * Within the replay window, presenting the previous token again returns the same successor as long as it is
 * unused (a retry after a lost response, or a client that refreshes twice). Any other reuse of a used token
 * revokes the grant. Another client's presentation, a widened scope or another resource is refused without change.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
 */
export function decideRotation(state: RefreshState, presented: RefreshPresentation, now: number): RotateDecision {
  const { request, token, successor } = state;
  if (!token) return refusal("invalid_secret", "refresh token does not match");
  if (state.status === "revoked") return refusal("revoked", "refresh token presented after revocation");
  if (state.status !== "active") return refusal("wrong_state", `refresh token presented while ${state.status}`);
  if (state.expiresAt <= now) return refusal("expired", "grant expired");
  if (presented.clientId !== request.clientId) return refusal("client_mismatch", "refresh token issued to another client");
  if (token.rotatedAt !== null) {
    const windowMs = presented.replayWindowSeconds * 1000;
    const retry =
      windowMs > 0 &&
      now - token.rotatedAt <= windowMs &&
      successor !== undefined &&
      successor.rotatedAt === null &&
      timingSafeEqual(successor.hash, state.derivedSuccessorHash);
    if (!retry) return refusal("refresh_reused", "a rotated refresh token was presented again", "rotated refresh token reused");
  }
  const scope = narrowed(request.scope, presented.scope);
  if (scope === undefined) return refusal("scope_widened", "scope asks for more than was granted");
  if (presented.resource !== undefined && presented.resource !== request.resource) return refusal("resource_mismatch", "resource differs");
  const maxExpiresAt = state.maxExpiresAt ?? state.expiresAt;
  const idleExpiresAt = Math.min(now + presented.refreshIdleTtlSeconds * 1000, maxExpiresAt);
  return { ok: true, replayed: token.rotatedAt !== null, scope, idleExpiresAt, maxExpiresAt };
}

/** The granted scope narrowed to `requested` (in the granted order), or `undefined` when it asks for more. */
function narrowed(granted: string, requested: string[] | undefined): string | undefined {
  const grantedTokens = granted.split(" ");
  if (requested === undefined) return granted;
  if (requested.some((s) => !grantedTokens.includes(s))) return undefined;
  return grantedTokens.filter((s) => requested.includes(s)).join(" ");
}
