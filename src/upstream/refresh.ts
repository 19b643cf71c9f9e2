// The token vault's HTTP side: the refresh grant at a provider's token endpoint (with retries), and revocation of
// vaulted tokens at its RFC 7009 endpoint (GitHub's: its token deletion API). The Grant object decides when to refresh and serializes it; this runs in
// the Worker that asked, handed to the object as its `refresh` callback (docs/storage.md "The upstream token vault").
import * as oauth from "oauth4webapi";
import type { Config, UpstreamProvider } from "../config";
import type { RefreshOutcome, RemovedUpstream, UpstreamRefresher, UpstreamTokens } from "../durable/vault-state";
import type { Env } from "../env";
import { authorizationServer } from "./discovery";
import { clientAuthentication } from "./federation";
import { tokenDeletionRequest } from "./github";
import { upstreamHttp } from "./transport";

/** Attempts per refresh, and the waits between them (ms): transient failures only. */
const BACKOFF_MS = [250, 1000];
/** A 429's `Retry-After` is honoured up to this many seconds; longer, the call is answered as unavailable. */
const MAX_RETRY_AFTER_S = 2;
/** Token endpoint errors that end the refresh token for good. @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 */
const TERMINAL_ERRORS = new Set(["invalid_grant", "unauthorized_client"]);

/**
 * A refresher for `provider`: oauth4webapi's refresh grant, retried with backoff on network failures, timeouts,
 * 5xx and 429; `invalid_grant` / `unauthorized_client` are terminal. Never throws.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 */
export function upstreamRefresher(env: Env, config: Config, provider: UpstreamProvider): UpstreamRefresher {
  return async ({ refreshToken }) => {
    let outcome = await refreshOnce(env, config, provider, refreshToken);
    for (const wait of BACKOFF_MS) {
      if (outcome.ok || outcome.terminal || outcome.retryAfterMs === undefined) break;
      await sleep(Math.max(wait, outcome.retryAfterMs) * (0.75 + Math.random() / 2));
      outcome = await refreshOnce(env, config, provider, refreshToken);
    }
    if (!outcome.ok) console.warn(JSON.stringify({ event: "upstream.refresh_failed", provider: provider.name, terminal: outcome.terminal, reason: outcome.reason }));
    return outcome.ok ? outcome : { ok: false, terminal: outcome.terminal, reason: outcome.reason };
  };
}

/** One refresh request. `retryAfterMs` is set when a retry may help (and how long to wait at least). */
async function refreshOnce(env: Env, config: Config, provider: UpstreamProvider, refreshToken: string): Promise<RefreshOutcome & { retryAfterMs?: number }> {
  try {
    const as = await authorizationServer(env, config, provider);
    const client: oauth.Client = { client_id: provider.clientId };
    const response = await oauth.refreshTokenGrantRequest(as, client, clientAuthentication(as, provider), refreshToken, upstreamHttp(env, config, provider));
    if (response.status >= 500 || response.status === 429) {
      const retryAfter = Number(response.headers.get("Retry-After") ?? "0");
      await response.body?.cancel();
      if (response.status === 429 && !(retryAfter <= MAX_RETRY_AFTER_S)) return { ok: false, terminal: false, reason: "upstream HTTP 429" };
      return { ok: false, terminal: false, reason: `upstream HTTP ${response.status}`, retryAfterMs: Math.max(0, retryAfter) * 1000 };
    }
    const result = await oauth.processRefreshTokenResponse(as, client, response);
    return { ok: true, tokens: tokensOf(result, Date.now()) };
  } catch (err) {
    if (err instanceof oauth.ResponseBodyError) {
      const terminal = TERMINAL_ERRORS.has(err.error);
      return { ok: false, terminal, reason: `upstream HTTP ${err.status} error=${err.error.slice(0, 64)}` };
    }
    if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError) {
      // A malformed answer: the provider may be mid-deploy; nothing says the refresh token is gone.
      return { ok: false, terminal: false, reason: `${err.code ?? err.name}`.slice(0, 120) };
    }
    const timeout = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return { ok: false, terminal: false, reason: timeout ? "upstream timeout" : "upstream unreachable", retryAfterMs: 0 };
  }
}

function tokensOf(result: oauth.TokenEndpointResponse, now: number): UpstreamTokens {
  return {
    accessToken: result.access_token,
    refreshToken: result.refresh_token,
    expiresAt: result.expires_in === undefined ? undefined : now + result.expires_in * 1000,
    idToken: result.id_token,
    tokenType: result.token_type.toLowerCase(),
    scope: result.scope,
  };
}

/**
 * Revokes tokens taken out of the vault at their providers' revocation endpoints (RFC 7009), refresh token first (its
 * revocation usually ends the access tokens too, §2.1), then the access token. Providers without an endpoint, or no
 * longer configured, are skipped. Never throws: meant for `waitUntil`; failures are logged by provider and status.
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
 */
export async function revokeAtProviders(env: Env, config: Config, removed: RemovedUpstream[]): Promise<void> {
  await Promise.all(
    removed.map(async ({ provider: name, clientId, tokens }) => {
      const provider = config.upstreams.find((p) => p.name === name);
      if (!provider || provider.clientId !== clientId) return;
      try {
        if (provider.type === "github") return await deleteAtGitHub(env, config, provider, tokens.accessToken);
        const as = await authorizationServer(env, config, provider);
        if (!as.revocation_endpoint) return;
        const client: oauth.Client = { client_id: provider.clientId };
        const http = upstreamHttp(env, config, provider);
        const pairs: [string, string][] = tokens.refreshToken ? [[tokens.refreshToken, "refresh_token"], [tokens.accessToken, "access_token"]] : [[tokens.accessToken, "access_token"]];
        for (const [token, hint] of pairs) {
          const response = await oauth.revocationRequest(as, client, clientAuthentication(as, provider), token, { ...http, additionalParameters: { token_type_hint: hint } });
          await oauth.processRevocationResponse(response);
        }
      } catch (err) {
        const reason = err instanceof oauth.ResponseBodyError ? `HTTP ${err.status} error=${err.error.slice(0, 64)}` : err instanceof Error ? err.name : "unknown";
        console.warn(JSON.stringify({ event: "upstream.revocation_failed", provider: name, reason }));
      }
    }),
  );
}

/** Deletes a vaulted GitHub access token (its refresh token, a GitHub App's, cannot be revoked on its own). */
async function deleteAtGitHub(env: Env, config: Config, provider: UpstreamProvider, accessToken: string): Promise<void> {
  const endpoint = provider.tokenDeletionEndpoint;
  if (!endpoint || !provider.clientSecret) return;
  const http = upstreamHttp(env, config, provider);
  const response = await fetch(tokenDeletionRequest(endpoint, provider.clientId, provider.clientSecret, accessToken, http.headers), { signal: http.signal(endpoint) });
  await response.body?.cancel();
  // 404: GitHub no longer knows the token (deleted already, or the app's authorization was revoked): it is gone.
  if (response.status !== 204 && response.status !== 404) console.warn(JSON.stringify({ event: "upstream.revocation_failed", provider: provider.name, reason: `HTTP ${response.status}` }));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
