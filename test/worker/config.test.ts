import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker";

// The Worker with a broken configuration: the development IdP on a public URL, which src/config/upstreams.ts refuses.
const broken = { ...env, PUBLIC_URL: "https://auth.example.com", DEV_IDP: "true" };

function call(path: string, init?: RequestInit) {
  return worker.fetch(new Request(`https://auth.example.com${path}`, init), broken, createExecutionContext());
}

describe("a configuration that fails closed", () => {
  it("answers the token endpoint with 503 temporarily_unavailable naming the variable", async () => {
    const res = await call("/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code" });
    expect(res.status).toBe(503);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await res.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("temporarily_unavailable");
    expect(body.error_description).toContain("DEV_IDP");
  });

  it("answers /register and /mcp with 503 too", async () => {
    expect((await call("/register", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).status).toBe(503);
    expect((await call("/mcp", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).status).toBe(503);
  });

  it("shows a readable page naming the variable at /authorize", async () => {
    const res = await call("/authorize?client_id=x");
    expect(res.status).toBe(503);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("Sign-in is unavailable");
    expect(html).toContain("DEV_IDP");
  });

  it("keeps discovery, the landing page and the health check up", async () => {
    const metadata = await call("/.well-known/oauth-authorization-server");
    expect(metadata.status).toBe(200);
    expect((await metadata.json<{ issuer: string }>()).issuer).toBe("https://auth.example.com");
    expect((await call("/.well-known/oauth-protected-resource/mcp")).status).toBe(200);
    expect((await call("/")).status).toBe(200);
    expect((await call("/healthz")).status).toBe(200);
  });
});

// wrangler.jsonc's top level as `wrangler deploy` ships it (test/node/deploy-config.test.ts reads the file): env.dev's
// PUBLIC_URL and DEV_IDP absent, served at the workers.dev name a first deploy gets.
const shipped = { ...env, PUBLIC_URL: undefined, DEV_IDP: undefined };

function callShipped(path: string, init?: RequestInit) {
  return worker.fetch(new Request(`https://gatehouse.acme.workers.dev${path}`, init), shipped, createExecutionContext());
}

describe("the configuration a plain deploy ships", () => {
  it("refuses the flow endpoints with 503 naming PUBLIC_URL and the missing upstream", async () => {
    const res = await callShipped("/token", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "grant_type=authorization_code" });
    expect(res.status).toBe(503);
    const body = await res.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("temporarily_unavailable");
    expect(body.error_description).toContain("PUBLIC_URL is required");
    expect(body.error_description).toContain("UPSTREAM_ISSUER no identity provider is configured");
  });

  it("serves no development IdP", async () => {
    const res = await callShipped("/dev-idp/authorize?client_id=gatehouse");
    expect(res.status).toBe(503);
    expect(await res.text()).toContain("Sign-in is unavailable");
    const discovery = await callShipped("/dev-idp/.well-known/openid-configuration");
    expect(discovery.status).toBe(503);
  });

  it("keeps discovery and the health check up", async () => {
    expect((await callShipped("/.well-known/oauth-authorization-server")).status).toBe(200);
    expect((await callShipped("/healthz")).status).toBe(200);
  });
});

describe("the landing page", () => {
  it("shows the MCP URL and a snippet for each client, framed by nobody", async () => {
    const res = await worker.fetch(new Request("http://localhost:8787/"), env, createExecutionContext());
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain("http://localhost:8787/mcp");
    for (const client of ["Claude Code", "Claude Desktop", "Cursor", "VS Code", "ChatGPT", "mcp-remote"]) expect(html).toContain(client);
    expect(html).toContain("claude mcp add --transport http gatehouse http://localhost:8787/mcp");
  });
});
