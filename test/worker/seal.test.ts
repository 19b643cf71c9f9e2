// Sealing of upstream tokens: round trip, binding to the grant and key, tamper detection, both key sources.
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfig } from "../../src/config";
import { sealUpstreamTokens, unsealUpstreamTokens } from "../../src/tokens/seal";

const config = loadConfig(env);
const GRANT = "a".repeat(64);
const tokens = { accessToken: "upstream-at", refreshToken: "upstream-rt", expiresAt: 1_700_000_000_000, idToken: "id.token.here" };

describe("sealUpstreamTokens", () => {
  it("round-trips with the KeyRing key and never contains the plaintext", async () => {
    const sealed = await sealUpstreamTokens(env, config, GRANT, tokens);
    expect(sealed).toMatch(/^gh1u\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("upstream-at");
    expect(await unsealUpstreamTokens(env, config, GRANT, sealed)).toEqual(tokens);
  });

  it("uses a fresh IV every time", async () => {
    expect(await sealUpstreamTokens(env, config, GRANT, tokens)).not.toBe(await sealUpstreamTokens(env, config, GRANT, tokens));
  });

  it("cannot be opened for another grant", async () => {
    const sealed = await sealUpstreamTokens(env, config, GRANT, tokens);
    expect(await unsealUpstreamTokens(env, config, "b".repeat(64), sealed)).toBeUndefined();
  });

  it("detects tampering", async () => {
    const sealed = await sealUpstreamTokens(env, config, GRANT, tokens);
    const parts = sealed.split(".");
    const body = base64url.decode(parts[3] ?? "");
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = base64url.encode(body);
    expect(await unsealUpstreamTokens(env, config, GRANT, parts.join("."))).toBeUndefined();
    expect(await unsealUpstreamTokens(env, config, GRANT, "not-sealed")).toBeUndefined();
  });

  it("uses UPSTREAM_TOKEN_KEY when set, and values sealed under another key are not read", async () => {
    const key = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
    const withKey = parseConfig({ ...env, UPSTREAM_TOKEN_KEY: key });
    expect(withKey.problems).toEqual([]);
    const sealed = await sealUpstreamTokens(env, withKey, GRANT, tokens);
    expect(await unsealUpstreamTokens(env, withKey, GRANT, sealed)).toEqual(tokens);
    expect(await unsealUpstreamTokens(env, config, GRANT, sealed)).toBeUndefined();
  });

  it("refuses a malformed UPSTREAM_TOKEN_KEY in the configuration", () => {
    expect(parseConfig({ ...env, UPSTREAM_TOKEN_KEY: "too-short" }).problems.map((p) => p.variable)).toContain("UPSTREAM_TOKEN_KEY");
  });
});
