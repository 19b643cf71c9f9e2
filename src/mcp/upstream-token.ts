// The caller's upstream access tokens for tools and gateway origins: the grant's vault transition with this Worker's
// refresher (src/upstream/refresh.ts), and what follows when the provider ended the grant.
import type { Context } from "hono";
import { grantStub } from "../durable/grant-stub";
import type { LinkedProvider, UpstreamAccessToken } from "../durable/vault-state";
import type { AppEnv } from "../http/app-env";
import { grantRevoked, revokeUpstreamLater } from "../http/grant-revoked";
import type { Caller } from "../identity";
import { vaultKey } from "../tokens/seal";
import { upstreamRefresher } from "../upstream/refresh";
import { REFRESH_AHEAD_PATH } from "./refresh-ahead";

/**
 * Why no upstream token could be had: `anonymous` (REQUIRE_AUTH=false and no token), `not_configured` (no such
 * provider), `not_linked` (the grant holds no token of it), `unavailable` (the provider could not refresh right now:
 * try again later), `revoked` (the grant has ended, e.g. the provider refused its refresh token: sign in again).
 */
export type UpstreamTokenProblem = "anonymous" | "not_configured" | "not_linked" | "unavailable" | "revoked";

/** What tools and handlers get of the caller's upstream access (`McpContext`). */
export interface UpstreamAccess {
  /**
   * A valid access token the provider `provider` issued to the caller, from the grant's vault, refreshed first when
   * it expires within 60 s (README "Calling the provider's APIs from tools"). Throws `UpstreamTokenError`.
   */
  upstreamToken: (provider: string) => Promise<UpstreamAccessToken>;
  /** The providers linked to the caller's grant: names and scopes, never tokens. */
  linkedProviders: () => Promise<LinkedProvider[]>;
}

/** Thrown by `upstreamToken`; its message is safe to show the person (it names no token). */
export class UpstreamTokenError extends Error {
  override readonly name = "UpstreamTokenError";
  constructor(
    readonly code: UpstreamTokenProblem,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A valid access token of `providerName` for `caller`'s grant, refreshed first when it expires within 60 s; one
 * refresh at a time worldwide (the Grant object serializes it). Throws `UpstreamTokenError`. A provider's terminal
 * refusal revokes the grant here: event `grant.revoked` (`upstream_revoked`), and this isolate stops accepting its
 * tokens at once, so the client's next request gets 401.
 */
export async function upstreamTokenFor(c: Context<AppEnv>, caller: Caller | undefined, providerName: string): Promise<UpstreamAccessToken> {
  const config = c.get("config");
  if (!caller) throw new UpstreamTokenError("anonymous", "Sign in to use this tool.");
  const provider = config.upstreams.find((p) => p.name === providerName);
  if (!provider) throw new UpstreamTokenError("not_configured", `No sign-in provider named ${providerName} is configured.`);
  const stub = grantStub(c.env, caller.grantId);
  if (!stub) throw new UpstreamTokenError("revoked", "This sign-in has ended. Sign in again.");
  const call = stub.upstreamToken({
    key: await vaultKey(c.env, config),
    provider: provider.name,
    clientId: provider.clientId,
    refresh: upstreamRefresher(c.env, config, provider),
    refreshAheadUrl: `${config.publicUrl}${REFRESH_AHEAD_PATH}`,
  });
  // The refresh runs in this request's isolate: kept alive past a client that goes away, so a rotated token is stored.
  c.executionCtx.waitUntil(call.then(noop, noop));
  const result = await call;
  if (result.ok) return result.token;
  if (result.revoked) grantRevoked(c, caller.grantId, caller.clientId, result.error === "upstream_revoked" ? "upstream_revoked" : result.reason);
  // The grant took every linked provider's entry with it: each is revoked at its provider, the refused one included.
  revokeUpstreamLater(c, result.upstream ?? []);
  switch (result.error) {
    case "not_linked":
      throw new UpstreamTokenError("not_linked", `This sign-in holds no ${provider.label} access. Sign in again with ${provider.label}.`);
    case "upstream_unavailable":
      throw new UpstreamTokenError("unavailable", `${provider.label} is temporarily unavailable. Try again in a moment.`);
    default:
      throw new UpstreamTokenError("revoked", `Your ${provider.label} access has ended. Sign in again.`);
  }
}

/** The providers linked to `caller`'s grant (names, scopes, expiry; never a token); empty for an anonymous caller. */
export async function linkedProvidersOf(c: Context<AppEnv>, caller: Caller | undefined): Promise<LinkedProvider[]> {
  if (!caller) return [];
  const result = await grantStub(c.env, caller.grantId)?.linkedProviders();
  return result?.ok ? result.providers : [];
}

function noop(): void {}
