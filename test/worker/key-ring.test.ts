import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { decodeProtectedHeader, importJWK, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { RETIRED_KEY_LIFETIME_MS } from "../../src/durable/key-ring";
import { mintAccessToken, verifyAccessToken } from "../../src/tokens/access-token";
import { keyId } from "../../src/lib/jwk";
import { clearKeyCache } from "../../src/tokens/key-cache";

const config = loadConfig(env);
const DAY_MS = 86_400_000;
const input = { subject: "user-1", clientId: "client-1", scope: "mcp", grantId: "grant-1" };

function ring(name = "signing") {
  return env.KEYS.get(env.KEYS.idFromName(name));
}

async function jwks(): Promise<{ res: Response; kids: string[]; keys: Record<string, unknown>[] }> {
  const res = await exports.default.fetch("http://localhost:8787/.well-known/jwks.json");
  const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
  return { res, keys, kids: keys.map((k) => String(k.kid)) };
}

/** Moves a timestamp column of the ring's keys `ms` into the past, as if that much time had gone by. */
async function age(stub: ReturnType<typeof ring>, column: "activated_at" | "retired_at", ms: number) {
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec(`UPDATE keys SET ${column} = ${column} - ? WHERE ${column} IS NOT NULL`, ms);
  });
}

/** A token signed with the ring's current private key, bypassing this isolate's key cache. */
async function signWithRing(stub: ReturnType<typeof ring>): Promise<string> {
  const { kid, privateJwk } = await stub.getSigningKey();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: "client-1", scope: "mcp", sid: "grant-1" })
    .setProtectedHeader({ alg: "ES256", typ: "at+jwt", kid })
    .setIssuer(config.issuer)
    .setAudience(config.mcpResource)
    .setSubject("user-1")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(crypto.randomUUID())
    .sign(await importJWK(privateJwk, "ES256"));
}

beforeEach(() => clearKeyCache());

describe("KeyRing", () => {
  it("creates its keys once and returns the same signing key on every call", async () => {
    const stub = ring("persistence");
    const first = await stub.getSigningKey();
    const second = await stub.getSigningKey();
    expect(second.kid).toBe(first.kid);
    expect(second.privateJwk).toEqual(first.privateJwk);
    expect(first.kid).toBe(await keyId({ kty: "EC", crv: "P-256", x: first.privateJwk.x, y: first.privateJwk.y }));
    const published = await stub.getPublicKeys();
    expect(published.map((k) => k.kid)).toEqual([first.kid, expect.any(String)]);
    const rows = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("SELECT state FROM keys ORDER BY state").toArray());
    expect(rows).toEqual([{ state: "current" }, { state: "next" }]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now() + (config.keyRotationDays * DAY_MS) / 2);
  });

  it("keeps instances apart, so another signer (the development IdP) has its own keys", async () => {
    expect((await ring("dev-idp").getSigningKey()).kid).not.toBe((await ring("signing").getSigningKey()).kid);
  });

  it("publishes the current and next keys at /.well-known/jwks.json with public members only", async () => {
    const { res, keys, kids } = await jwks();
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const published = (await ring().getPublicKeys()).map((k) => k.kid);
    expect(kids).toEqual(published);
    expect(kids).toHaveLength(2);
    expect(kids[0]).toBe((await ring().getSigningKey()).kid);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
      expect(key).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    }
  });

  it("keeps verifying a token signed before rotation, and signs new tokens with the promoted next key", async () => {
    const before = await ring().getPublicKeys();
    const old = await mintAccessToken(env, config, input);
    expect(decodeProtectedHeader(old.token).kid).toBe(before[0]?.kid);

    const rotated = await ring().rotate();
    clearKeyCache();
    expect(rotated.current).toBe(before[1]?.kid);
    expect(rotated.retired).toEqual([before[0]?.kid]);

    expect(await verifyAccessToken(env, config, old.token)).toMatchObject({ ok: true, claims: { subject: "user-1" } });
    const fresh = await mintAccessToken(env, config, input);
    expect(decodeProtectedHeader(fresh.token).kid).toBe(rotated.current);
    expect(await verifyAccessToken(env, config, fresh.token)).toMatchObject({ ok: true });
    expect((await jwks()).kids).toEqual([rotated.current, rotated.next, before[0]?.kid]);
  });

  it("rotates from its alarm once the current key has signed for KEY_ROTATION_DAYS, and not before", async () => {
    const stub = ring("alarm");
    const [current, next] = (await stub.getPublicKeys()).map((k) => k.kid);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.getSigningKey()).kid).toBe(current);

    await age(stub, "activated_at", config.keyRotationDays * DAY_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const kids = (await stub.getPublicKeys()).map((k) => k.kid);
    expect(kids).toHaveLength(3);
    expect(kids[0]).toBe(next);
    expect(kids[2]).toBe(current);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now() + DAY_MS / 2);
  });

  it("rotates on the KEY_ROTATION_DAYS its callers pass, kept for the alarm and re-armed when it changes", async () => {
    const stub = ring("period");
    const [current] = (await stub.getPublicKeys({ rotationDays: 2 })).map((k) => k.kid);
    const alarm = () => runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(await alarm()).toBeLessThanOrEqual(Date.now() + 2 * DAY_MS);
    expect(await alarm()).toBeGreaterThan(Date.now() + DAY_MS);
    await stub.getSigningKey({ rotationDays: 7 });
    expect(await alarm()).toBeGreaterThan(Date.now() + 6 * DAY_MS);

    await age(stub, "activated_at", 7 * DAY_MS);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.getPublicKeys()).map((k) => k.kid)[2]).toBe(current);
  });

  it("drops a retired key once every token it signed has expired", async () => {
    const stub = ring("retirement");
    const { retired, current, next } = await stub.rotate();
    await age(stub, "retired_at", RETIRED_KEY_LIFETIME_MS - 60_000);
    expect((await stub.getPublicKeys()).map((k) => k.kid)).toEqual([current, next, ...retired]);

    await age(stub, "retired_at", 60_000);
    expect((await stub.getPublicKeys()).map((k) => k.kid)).toEqual([current, next]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("SELECT kid FROM keys WHERE state = 'retired'").toArray());
    expect(rows).toEqual([]);
  });
});

describe("isolate key cache", () => {
  it("keeps signing with the cached key after a rotation it has not seen (no KeyRing call per token)", async () => {
    const cached = decodeProtectedHeader((await mintAccessToken(env, config, input)).token).kid;
    await ring().rotate();
    expect(decodeProtectedHeader((await mintAccessToken(env, config, input)).token).kid).toBe(cached);
  });

  it("refetches once for an unknown kid, then waits before refetching again", async () => {
    const stub = ring();
    await verifyAccessToken(env, config, await signWithRing(stub));
    await stub.rotate();
    await stub.rotate();
    // The new current key was created after this isolate fetched the keys: one refetch finds it.
    expect(await verifyAccessToken(env, config, await signWithRing(stub))).toMatchObject({ ok: true });
    await stub.rotate();
    await stub.rotate();
    expect(await verifyAccessToken(env, config, await signWithRing(stub))).toEqual({ ok: false, reason: "unknown_kid" });
  });
});
