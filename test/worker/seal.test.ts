// Sealing of what a grant keeps of the upstream: round trip, binding to the grant, provider and key, tamper
// detection, both key sources.
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config";
import { openEntry, openLeg, sealEntry, sealLeg } from "../../src/durable/vault";
import { vaultKey } from "../../src/tokens/seal";
import { deposit } from "./helpers/vault";

const config = loadConfig(env);
const GRANT = "a".repeat(64);
const entry = deposit({ expiresAt: 1_700_000_000_000, idToken: "id.token.here" });

describe("vault sealing", () => {
  it("round-trips with the KeyRing key and never contains the plaintext", async () => {
    const key = await vaultKey(env, config);
    const sealed = await sealEntry(key, GRANT, entry);
    expect(sealed).toMatch(/^gh1v\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("upstream-at");
    expect(await openEntry(key, GRANT, "dev", sealed)).toEqual({ clientId: entry.clientId, tokens: entry.tokens });
  });

  it("uses a fresh IV every time", async () => {
    const key = await vaultKey(env, config);
    expect(await sealEntry(key, GRANT, entry)).not.toBe(await sealEntry(key, GRANT, entry));
  });

  it("cannot be opened for another grant or another provider, nor as a pending leg", async () => {
    const key = await vaultKey(env, config);
    const sealed = await sealEntry(key, GRANT, entry);
    expect(await openEntry(key, "b".repeat(64), "dev", sealed)).toBeUndefined();
    expect(await openEntry(key, GRANT, "github", sealed)).toBeUndefined();
    expect(await openLeg(key, GRANT, "dev", sealed)).toBeUndefined();
    const leg = await sealLeg(key, GRANT, "dev", { nonce: "n", codeVerifier: "v" });
    expect(leg).toMatch(/^gh1l\./);
    expect(await openLeg(key, GRANT, "dev", leg)).toEqual({ nonce: "n", codeVerifier: "v" });
    expect(await openLeg(key, GRANT, "corp", leg)).toBeUndefined();
  });

  it("detects tampering", async () => {
    const key = await vaultKey(env, config);
    const sealed = await sealEntry(key, GRANT, entry);
    const parts = sealed.split(".");
    const body = base64url.decode(parts[3] ?? "");
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = base64url.encode(body);
    expect(await openEntry(key, GRANT, "dev", parts.join("."))).toBeUndefined();
    expect(await openEntry(key, GRANT, "dev", "not-sealed")).toBeUndefined();
  });

  it("uses UPSTREAM_TOKEN_KEY when set, and values sealed under another key are not read", async () => {
    const raw = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
    const withKey = parseConfig({ ...env, UPSTREAM_TOKEN_KEY: raw });
    expect(withKey.problems).toEqual([]);
    const key = await vaultKey(env, withKey);
    expect(key.raw).toBe(raw);
    const sealed = await sealEntry(key, GRANT, entry);
    expect(await openEntry(key, GRANT, "dev", sealed)).toMatchObject({ tokens: entry.tokens });
    expect(await openEntry(await vaultKey(env, config), GRANT, "dev", sealed)).toBeUndefined();
  });

  it("refuses a malformed UPSTREAM_TOKEN_KEY in the configuration", () => {
    expect(parseConfig({ ...env, UPSTREAM_TOKEN_KEY: "too-short" }).problems.map((p) => p.variable)).toContain("UPSTREAM_TOKEN_KEY");
  });
});
