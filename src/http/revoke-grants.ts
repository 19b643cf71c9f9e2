// Revokes grants on an operator's order: at each Grant Durable Object, then the event, the index and the isolate's cache.
import type { Context } from "hono";
import { type GrantListing, type GrantOwner, listLiveGrants, markGrantRevoked } from "../db/grants";
import { grantStub } from "../durable/grant-stub";
import { vaultKey } from "../tokens/seal";
import type { AppEnv } from "./app-env";
import { grantRevoked, revokeUpstreamLater } from "./grant-revoked";

/** Grants revoked per request: each is a Durable Object call, and a Worker invocation has a subrequest budget. */
export const BULK_LIMIT = 500;
/** Grant objects called at once. */
const CONCURRENCY = 25;

/**
 * Revokes one grant; `true` when it was live. The object decides (the index may lag); whatever it said, the index
 * is marked revoked so listings stop showing the grant as active.
 */
export async function revokeGrant(c: Context<AppEnv>, grant: Pick<GrantListing, "id" | "clientId">, reason: string): Promise<boolean> {
  const result = await grantStub(c.env, grant.id)?.revoke(reason, { key: await vaultKey(c.env, c.get("config")) });
  if (result?.ok) revokeUpstreamLater(c, result.upstream);
  if (result?.ok && result.wasLive) {
    grantRevoked(c, grant.id, grant.clientId, reason);
    return true;
  }
  c.executionCtx.waitUntil(markGrantRevoked(c.env.DB, grant.id, Math.floor(Date.now() / 1000)));
  return false;
}

/** Revokes up to BULK_LIMIT grants the index lists as live for a client, a user, or a user's of a client; `more` when others remain (call again). */
export async function revokeLiveGrants(
  c: Context<AppEnv>,
  owner: GrantOwner,
  reason: string,
): Promise<{ found: number; revoked: number; more: boolean }> {
  const live = await listLiveGrants(c.env.DB, owner, Math.floor(Date.now() / 1000), BULK_LIMIT + 1);
  let revoked = 0;
  const batch = live.slice(0, BULK_LIMIT);
  for (let i = 0; i < batch.length; i += CONCURRENCY) {
    const results = await Promise.all(batch.slice(i, i + CONCURRENCY).map((grant) => revokeGrant(c, grant, reason)));
    revoked += results.filter(Boolean).length;
  }
  return { found: batch.length, revoked, more: live.length > BULK_LIMIT };
}
