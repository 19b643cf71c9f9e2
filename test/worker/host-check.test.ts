// The host check: only PUBLIC_URL's origin is served; other hosts get 421 before routing, browsers a redirect.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, workerFetch } from "./helpers/browser";
import { obtainCode, REDIRECT_URI, registerClient, tokenRequest } from "./helpers/oauth";

const count = async (table: string) => (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n;
/** Requests through the Worker's `fetch` with the execution context awaited, so every background write is done when they answer. */
const fetchAwaited = workerFetch(env);

describe("requests to another origin than PUBLIC_URL", () => {
  it("refuses /token on 127.0.0.1 with 421 and an OAuth JSON error, storing nothing", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { target: env });
    const events = await count("events");
    const res = await fetchAwaited("http://127.0.0.1:8787/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }),
    });
    expect(res.status).toBe(421);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ error: "invalid_request", error_description: `this server answers at ${BASE} only` });
    expect(await count("events")).toBe(events);
    // The code was not spent: the same request at PUBLIC_URL still redeems it.
    const redeemed = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id });
    expect(redeemed.status).toBe(200);
  });

  it("refuses /mcp on a workers.dev host even with a valid token, and counts no usage", async () => {
    const client = await registerClient();
    const { code, verifier } = await obtainCode(client, { email: "hedy@host-check.example", target: env });
    const tokens = await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id }, {}, env);
    const { access_token } = await tokens.json<{ access_token: string }>();
    const usage = () => env.DB.prepare("SELECT request_count FROM users WHERE email = ?").bind("hedy@host-check.example").first<{ request_count: number }>();
    const res = await fetchAwaited("https://gatehouse.example.workers.dev/mcp", {
      method: "POST",
      headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(421);
    expect(res.headers.get("WWW-Authenticate")).toBeNull();
    expect((await res.json<{ error: string }>()).error).toBe("invalid_request");
    expect((await usage())?.request_count).toBe(0);
  });

  it("refuses a DNS-rebinding page's own host name on the dev port", async () => {
    const res = await exports.default.fetch("http://rebind.attacker.example:8787/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: "none" }),
    });
    expect(res.status).toBe(421);
    expect((await res.json<{ error: string }>()).error).toBe("invalid_request");
  });

  it("redirects a browser GET of /authorize on the wrong host to the same path and query on PUBLIC_URL", async () => {
    const query = "?client_id=abc&state=s%20t&scope=mcp";
    const res = await exports.default.fetch(`http://127.0.0.1:8787/authorize${query}`, { headers: { Accept: "text/html,application/xhtml+xml" }, redirect: "manual" });
    expect(res.status).toBe(307);
    expect(res.headers.get("Location")).toBe(`${BASE}/authorize${query}`);
    expect(res.headers.get("Set-Cookie")).toBeNull();
  });

  it("redirects a browser GET of a discovery document, but refuses the same GET from a client", async () => {
    const path = "/.well-known/oauth-authorization-server";
    const browser = await exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { Accept: "text/html" }, redirect: "manual" });
    expect(browser.status).toBe(307);
    expect(browser.headers.get("Location")).toBe(`${BASE}${path}`);
    const client = await exports.default.fetch(`http://127.0.0.1:8787${path}`, { headers: { Accept: "application/json" } });
    expect(client.status).toBe(421);
    expect(client.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("answers a form POST to a page on the wrong host with a readable 421 page that cannot be framed", async () => {
    const res = await exports.default.fetch("http://127.0.0.1:8787/authorize", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "text/html" },
      body: "action=approve",
    });
    expect(res.status).toBe(421);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain("Wrong address");
    expect(html).toContain(`This server answers at ${BASE} only.`);
  });

  it("serves PUBLIC_URL's own origin as before", async () => {
    expect((await exports.default.fetch(`${BASE}/healthz`)).status).toBe(200);
    expect((await exports.default.fetch(`${BASE}/.well-known/oauth-authorization-server`)).status).toBe(200);
  });
});
