// Per-isolate cache of KeyRing keys, so signing and verifying make no Durable Object call in the steady state.
// An unknown `kid` refetches at most once per MISS_REFETCH_MS, so tokens with made-up kids cannot hammer the ring.
import { importJWK } from "jose";
import { loadConfig } from "../config";
import type { Env } from "../env";
import { KEY_CACHE_MS, type KeyRingSettings } from "../durable/key-ring";
import type { PublicSigningKey } from "../lib/jwk";

/** Least time between two refetches caused by an unknown `kid`. */
const MISS_REFETCH_MS = 30_000;

/** The KeyRing instance that signs access tokens. */
export const ACCESS_TOKEN_RING = "signing";

interface RingCache {
  signing?: { kid: string; key: CryptoKey; fetchedAt: number };
  verifying?: { jwks: PublicSigningKey[]; keys: Map<string, CryptoKey>; fetchedAt: number };
  lastMissRefetch: number;
}

const rings = new Map<string, RingCache>();

/** The ring's current private key, for signing. */
export async function signingKey(env: Env, ring = ACCESS_TOKEN_RING): Promise<{ kid: string; key: CryptoKey }> {
  const cache = cacheFor(ring);
  if (cache.signing && Date.now() - cache.signing.fetchedAt < KEY_CACHE_MS) return cache.signing;
  const { kid, privateJwk } = await stub(env, ring).getSigningKey(settings(env));
  cache.signing = { kid, key: await importKey(privateJwk), fetchedAt: Date.now() };
  return cache.signing;
}

/** The public key with this `kid`, or `undefined` when the ring does not publish it. */
export async function verificationKey(env: Env, kid: string, ring = ACCESS_TOKEN_RING): Promise<CryptoKey | undefined> {
  const cache = cacheFor(ring);
  const fresh = cache.verifying && Date.now() - cache.verifying.fetchedAt < KEY_CACHE_MS;
  const known = (fresh ? cache.verifying : await refreshPublicKeys(env, ring, cache))?.keys.get(kid);
  if (known || !fresh || Date.now() - cache.lastMissRefetch < MISS_REFETCH_MS) return known;
  cache.lastMissRefetch = Date.now();
  return (await refreshPublicKeys(env, ring, cache))?.keys.get(kid);
}

/** Every key the ring publishes (for JWKS). */
export async function publicKeys(env: Env, ring = ACCESS_TOKEN_RING): Promise<PublicSigningKey[]> {
  const cache = cacheFor(ring);
  if (cache.verifying && Date.now() - cache.verifying.fetchedAt < KEY_CACHE_MS) return cache.verifying.jwks;
  return (await refreshPublicKeys(env, ring, cache))?.jwks ?? [];
}

/** Forgets this isolate's keys, e.g. right after an explicit rotation. */
export function clearKeyCache(): void {
  rings.clear();
}

/**
 * Fetches the published keys. Promises are not shared between requests (a Worker must not await another
 * request's I/O), so concurrent cold requests may each fetch once. When the ring cannot be reached, a stale
 * copy keeps verification going rather than rejecting valid tokens.
 */
async function refreshPublicKeys(env: Env, ring: string, cache: RingCache): Promise<RingCache["verifying"]> {
  try {
    const jwks = await stub(env, ring).getPublicKeys(settings(env));
    const keys = new Map<string, CryptoKey>();
    for (const jwk of jwks) keys.set(jwk.kid, await importKey(jwk));
    cache.verifying = { jwks, keys, fetchedAt: Date.now() };
  } catch (err) {
    if (!cache.verifying) throw err;
    // Retry after MISS_REFETCH_MS rather than on every request while the ring is unreachable.
    cache.verifying.fetchedAt = Date.now() - KEY_CACHE_MS + MISS_REFETCH_MS;
    console.error(JSON.stringify({ event: "keys.refresh_failed", ring, error: err instanceof Error ? err.message : String(err) }));
  }
  return cache.verifying;
}

function cacheFor(ring: string): RingCache {
  let cache = rings.get(ring);
  if (!cache) {
    cache = { lastMissRefetch: 0 };
    rings.set(ring, cache);
  }
  return cache;
}

/** The ring's settings from the configuration: the object reads none itself. */
function settings(env: Env): KeyRingSettings {
  return { rotationDays: loadConfig(env).keyRotationDays };
}

function stub(env: Env, ring: string) {
  return env.KEYS.get(env.KEYS.idFromName(ring));
}

async function importKey(jwk: PublicSigningKey): Promise<CryptoKey> {
  const key = await importJWK(jwk, "ES256");
  if (!(key instanceof CryptoKey)) throw new Error("expected an EC key");
  return key;
}
