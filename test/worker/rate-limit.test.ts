// Rate limits: the real rate-limiting bindings — /register per source, /token per credential with a budget per
// source for junk, one budget per source before any lookup at /token, /revoke and /introspect — and the 429 shape of
// every limited endpoint in its own protocol — never a 401 at /mcp, which would make clients drop their tokens.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { mintAccessToken } from "../../src/tokens/access-token";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { interceptD1 } from "./helpers/d1";
import { liveGrantId } from "./helpers/grant";
import { MCP_RESOURCE, obtainCode, pkce, REDIRECT_URI, registerClient, tokenRequest } from "./helpers/oauth";

const limited = { limit: async () => ({ success: false }) } as RateLimit;

async function call(request: Request, target: Env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const registration = (ip: string, name: string) =>
  new Request(`${BASE}/register`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
    body: JSON.stringify({ client_name: name, redirect_uris: ["http://127.0.0.1/cb"], token_endpoint_auth_method: "none" }),
  });

const form = (path: string, ip: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  new Request(`${BASE}${path}`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": ip, ...headers }, body: new URLSearchParams(body) });

/** `target` with a D1 binding that counts the statements reading `clients`, i.e. client lookups. */
function countingClientLookups(target: Env): { env: Env; lookups: () => number } {
  let lookups = 0;
  const counted = interceptD1(target, (sql, statement) => {
    if (/\b(FROM|JOIN) clients\b/.test(sql)) lookups++;
    return statement;
  });
  return { env: counted, lookups: () => lookups };
}

describe("rate limits", () => {
  const limitsOn = { ...env, RATE_LIMITS: "true" } as Env;

  it("keys a public client's /token budget by the grant its credential names: junk exhausts only its source's budget", async () => {
    const client = await registerClient({ grant_types: ["authorization_code", "refresh_token"] });
    const { code, verifier } = await obtainCode(client);
    const issued = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id, resource: MCP_RESOURCE });
    const { refresh_token } = (await issued.json()) as { refresh_token: string };
    // What anyone can send with a public client_id: tokens that do not parse, and well-formed ones naming no grant.
    const junk = (i: number) => (i % 2 === 0 ? `junk-${i}` : `gh1r_${i.toString(16).padStart(64, "0")}.${"A".repeat(43)}`);
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) {
      statuses.push((await call(form("/token", "203.0.113.50", { grant_type: "refresh_token", refresh_token: junk(i), client_id: client.client_id }), limitsOn)).status);
    }
    expect(statuses).toEqual(Array(120).fill(400));
    const limited = await call(form("/token", "203.0.113.50", { grant_type: "refresh_token", refresh_token: "junk-more", client_id: client.client_id }), limitsOn);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("60");
    expect(await limited.json()).toEqual({ error: "temporarily_unavailable", error_description: "too many requests: retry later" });
    // A Claude Code user elsewhere, with the same public client_id, still refreshes.
    const refreshed = await call(form("/token", "198.51.100.50", { grant_type: "refresh_token", refresh_token, client_id: client.client_id }), limitsOn);
    expect(refreshed.status).toBe(200);
    expect(((await refreshed.json()) as { refresh_token: string }).refresh_token).toMatch(/^gh1r_/);
  });

  it("limits /token, /revoke and /introspect by source (IPv6 by /64) with one budget of 1200 a minute, before any client lookup", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const paths = ["/token", "/revoke", "/introspect"];
    const statuses = new Set<number>();
    // Cheap requests (no form body) spend the budget as well: the limit comes before reading the request.
    for (let i = 0; i < 1200; i++) {
      const ip = `2001:db8:77:1::${(i % 50).toString(16)}`;
      statuses.add((await call(new Request(`${BASE}${paths[i % 3]}`, { method: "POST", headers: { "CF-Connecting-IP": ip } }), limitsOn)).status);
    }
    log.mockRestore();
    expect([...statuses]).toEqual([400]);
    const counted = countingClientLookups(limitsOn);
    for (const path of paths) {
      const res = await call(form(path, "2001:db8:77:1:ffff::1", { grant_type: "refresh_token", refresh_token: "gh1r_x.y", token: "t", client_id: "https://attacker.example/client.json" }), counted.env);
      expect(res.status).toBe(429);
      expect(res.headers.get("Retry-After")).toBe("60");
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: "too many requests: retry later" });
    }
    expect(counted.lookups()).toBe(0);
    const elsewhere = await call(form("/revoke", "2001:db8:77:2::1", { token: "t", client_id: "nobody" }), counted.env);
    expect(elsewhere.status).toBe(401);
    expect(counted.lookups()).toBe(1);
  });

  it("limits /register per source address with the binding's limit (30 a minute), other addresses unaffected", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await call(registration("198.51.100.1", `c${i}`), limitsOn)).status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(201));
    const res = await call(registration("198.51.100.1", "one more"), limitsOn);
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: "too many requests: retry later" });
    expect((await call(registration("198.51.100.2", "elsewhere"), limitsOn)).status).toBe(201);
  });

  it("answers /token over its limit with 429 OAuth JSON and Retry-After", async () => {
    const client = await registerClient();
    const res = await call(
      new Request(`${BASE}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "gh1r_x.y", client_id: client.client_id }) }),
      { ...limitsOn, RATE_LIMIT_TOKEN: limited } as Env,
    );
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(((await res.json()) as { error: string }).error).toBe("temporarily_unavailable");
  });

  it("answers /authorize over its limit with a 429 page", async () => {
    const client = await registerClient();
    const { challenge } = await pkce();
    const res = await call(new Request(`${BASE}/authorize?response_type=code&client_id=${client.client_id}&code_challenge=${challenge}&code_challenge_method=S256`), { ...limitsOn, RATE_LIMIT_BROWSER: limited } as Env);
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
  });

  it("answers /mcp over its limit with a 429 JSON-RPC error, not a 401", async () => {
    const { token } = await mintAccessToken(env, loadConfig(env), { subject: "usr_1", clientId: "client-1", scope: "mcp", grantId: await liveGrantId() });
    const res = await call(
      new Request(`${BASE}/mcp`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      }),
      { ...limitsOn, RATE_LIMIT_MCP: limited } as Env,
    );
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("60");
    expect(await res.json()).toEqual({ jsonrpc: "2.0", error: { code: -32000, message: "Rate limit exceeded: retry later." }, id: null });
  });
});
