// Whether a grant's tokens may still be used, as /mcp asks on every request: the Grant Durable Object answers,
// and each isolate remembers the answer for LIVENESS_CACHE_TTL seconds, so revocation is seen everywhere within
// that bound without an object call per request.
import { grantStub } from "../durable/grant-stub";
import type { Env } from "../env";

/** Revoked or expired grants never come back to life: their answer is kept for as long as an access token lasts. */
const DEAD_TTL_MS = 86_400_000;
/** Entries one isolate keeps at most; the oldest go first. */
const MAX_ENTRIES = 10_000;

const cache = new Map<string, { live: boolean; until: number }>();

/**
 * Asks the grant, or the isolate's recent answer when younger than `ttlSeconds` (0 = always ask).
 * @see DESIGN.md "One Durable Object per grant" (liveness checks for /mcp)
 */
export async function isGrantLive(env: Env, grantId: string, ttlSeconds: number, now = Date.now()): Promise<boolean> {
  const known = cache.get(grantId);
  if (known && known.until > now) return known.live;
  const stub = grantStub(env, grantId);
  const live = stub !== undefined && (await stub.checkLive());
  if (ttlSeconds > 0 || !live) remember(grantId, live, now + (live ? ttlSeconds * 1000 : DEAD_TTL_MS));
  return live;
}

/** This isolate learned that the grant was revoked: later checks here need not wait for the cache to lapse. */
export function forgetGrant(grantId: string): void {
  remember(grantId, false, Date.now() + DEAD_TTL_MS);
}

function remember(grantId: string, live: boolean, until: number): void {
  cache.delete(grantId);
  cache.set(grantId, { live, until });
  if (cache.size > MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
}
