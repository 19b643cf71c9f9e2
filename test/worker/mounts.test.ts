// Each mount owns its error format, its configuration gate and its request log: the real token, authorize and /mcp
// routes mounted under /elsewhere answer exactly as at their usual paths, and each format, the gates and the log
// behave as documented on a test-only app built from the same middlewares.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import { OAuthError, PageError } from "../../src/errors";
import type { AppEnv } from "../../src/http/app-env";
import { auditTrail } from "../../src/http/audit";
import { logRequests } from "../../src/http/request-log";
import { requireConfig, requireSignInConfig } from "../../src/http/require-config";
import { mcpErrors, oauthErrors, onError, pageErrors } from "../../src/http/respond";
import { mcpRoutes } from "../../src/mcp/route";
import { serveMcp } from "../../src/mcp/server";
import { authorizeRoutes } from "../../src/oauth/authorize";
import { tokenRoutes } from "../../src/oauth/token";
import worker from "../../src/worker";

const BASE = "http://localhost:8787";
const CORRELATION_ID = "corr-0123";
/** The development IdP on a public URL, which src/config/ refuses. */
const broken = { ...env, PUBLIC_URL: "https://auth.example.com", DEV_IDP: "true" };

/** An app with the Worker's per-request setup, the given mounts, and the Worker's `onError`. */
function appWith(mount: (app: Hono<AppEnv>) => void): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("correlationId", CORRELATION_ID);
    c.set("config", loadConfig(c.env));
    await next();
  });
  app.use(auditTrail);
  mount(app);
  app.onError(onError);
  return app;
}

async function call(app: Pick<Hono<AppEnv>, "fetch"> | typeof worker, path: string, init?: RequestInit, bindings: object = env): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${bindings === broken ? "https://auth.example.com" : BASE}${path}`, init), bindings as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Status, headers and body, for comparing two answers byte for byte (correlation ids aside). */
async function wire(res: Response): Promise<string> {
  const body = (await res.text()).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|corr-0123/g, "ID");
  return `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${body}`;
}

const elsewhere = appWith((app) => {
  app.route("/elsewhere", tokenRoutes);
  app.route("/elsewhere", authorizeRoutes);
  app.route("/elsewhere", mcpRoutes(serveMcp({ whoami: true })));
});

const form = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
  body,
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a route module mounted at another path", () => {
  it("keeps the token endpoint's OAuth JSON, with its Basic challenge and CORS", async () => {
    const basic = form("grant_type=authorization_code&code=x", { Authorization: "Basic eDp5", Origin: "https://app.example" });
    const moved = await call(elsewhere, "/elsewhere/token", basic);
    expect(moved.status).toBe(401);
    expect(moved.headers.get("WWW-Authenticate")).toBe('Basic realm="token", charset="UTF-8"');
    expect(moved.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(await wire(moved)).toBe(await wire(await call(worker, "/token", basic)));
    const missing = await call(elsewhere, "/elsewhere/token", form("code=x"));
    expect(missing.headers.get("Cache-Control")).toBe("no-store");
    expect(await missing.json()).toEqual({ error: "invalid_request", error_description: "missing parameter grant_type" });
  });

  it("keeps /authorize's pages, with the browser pages' headers", async () => {
    const crossSite = form("client_id=x", { Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" });
    const moved = await call(elsewhere, "/elsewhere/authorize", crossSite);
    expect(moved.status).toBe(403);
    expect(moved.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(moved.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
    expect(await wire(moved.clone())).toContain("This sign-in request cannot continue");
    expect(await wire(moved)).toBe(await wire(await call(worker, "/authorize", crossSite)));
  });

  it("keeps /mcp's bearer challenges naming the protected resource metadata", async () => {
    const junk: RequestInit = { method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer a.b.c" }, body: "{}" };
    const moved = await call(elsewhere, "/elsewhere/mcp", junk);
    expect(moved.status).toBe(401);
    expect(moved.headers.get("WWW-Authenticate")).toBe(
      `Bearer resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp", scope="${loadConfig(env).defaultScopes.join(" ")}", error="invalid_token", error_description="the access token is invalid or expired"`,
    );
    expect(await wire(moved)).toBe(await wire(await call(worker, "/mcp", junk)));
  });

  it("keeps each mount's configuration gate: JSON for the token endpoint and /mcp, pages for the sign-in", async () => {
    const token = await call(elsewhere, "/elsewhere/token", form("grant_type=authorization_code"), broken);
    expect(token.status).toBe(503);
    expect(await token.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringContaining("DEV_IDP") });
    const mcp = await call(elsewhere, "/elsewhere/mcp", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }, broken);
    expect(mcp.status).toBe(503);
    expect(mcp.headers.get("Content-Type")).toMatch(/^application\/json/);
    const page = await call(elsewhere, "/elsewhere/authorize?client_id=x", undefined, broken);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("Sign-in is unavailable");
    const posted = await call(elsewhere, "/elsewhere/authorize", form("client_id=x"), broken);
    expect(posted.status).toBe(503);
    expect(await posted.text()).toContain("This sign-in request cannot continue");
  });

  it("logs its requests under the path it is mounted at", async () => {
    const spy = vi.spyOn(console, "log");
    await call(elsewhere, "/elsewhere/token", form("code=x"));
    const lines = spy.mock.calls.map((args) => String(args[0])).filter((line) => line.startsWith('{"event":"request.'));
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { event: "request.failed", method: "POST", path: "/elsewhere/token", status: 400, error: "invalid_request", latency_ms: expect.any(Number), correlation_id: CORRELATION_ID },
    ]);
  });
});

/** Routes that throw each kind of error, under `/<format>/…` with that format and under `/none/…` with none. */
const thrower = appWith((app) => {
  const failures = new Hono<AppEnv>();
  failures.get("/refused", () => {
    throw new OAuthError("invalid_grant", "no such code", { reason: "test", headers: { "Retry-After": "1" } });
  });
  failures.get("/token", () => {
    throw new OAuthError("invalid_token", 'the "token" is bad', { reason: "test" });
  });
  failures.get("/page", () => {
    throw new PageError("Unknown client", "No such client.", { status: 400, reason: "test page" });
  });
  failures.get("/too-large", () => {
    throw new HTTPException(413);
  });
  failures.get("/crash", () => {
    throw new Error("boom");
  });
  app.use("/page/*", pageErrors);
  app.use("/oauth/*", oauthErrors);
  app.use("/mcp/*", mcpErrors);
  for (const prefix of ["/page", "/oauth", "/mcp", "/none"]) app.route(prefix, failures);
});

describe("the error formats", () => {
  it("renders a PageError as its page in every format", async () => {
    for (const format of ["page", "oauth", "mcp"]) {
      const res = await call(thrower, `/${format}/page`);
      expect(res.status).toBe(400);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const html = await res.text();
      expect(html).toContain("<h1>Unknown client</h1>");
      expect(html).toContain(CORRELATION_ID);
    }
  });

  it("pageErrors: protocol errors and crashes as pages with the correlation id", async () => {
    const refused = await call(thrower, "/page/refused");
    expect(refused.status).toBe(400);
    expect(refused.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await refused.text();
    expect(html).toContain("This sign-in request cannot continue");
    expect(html).toContain("no such code");
    vi.spyOn(console, "error").mockImplementation(() => {});
    const crashed = await call(thrower, "/page/crash");
    expect(crashed.status).toBe(500);
    expect(await crashed.text()).toContain("Something went wrong");
  });

  it("oauthErrors: RFC 6749 §5.2 JSON, never cached, with the error's headers; hono's 413 as invalid_request", async () => {
    const refused = await call(thrower, "/oauth/refused");
    expect(refused.status).toBe(400);
    expect(refused.headers.get("Cache-Control")).toBe("no-store");
    expect(refused.headers.get("Pragma")).toBe("no-cache");
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(await refused.json()).toEqual({ error: "invalid_grant", error_description: "no such code" });
    const tooLarge = await call(thrower, "/oauth/too-large");
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toEqual({ error: "invalid_request", error_description: "request body too large" });
    const token = await call(thrower, "/oauth/token");
    expect(token.headers.get("WWW-Authenticate")).toBeNull();
  });

  it("mcpErrors: token failures as bearer challenges, other refusals as OAuth JSON, crashes as JSON-RPC", async () => {
    const token = await call(thrower, "/mcp/token");
    expect(token.status).toBe(401);
    expect(token.headers.get("Cache-Control")).toBeNull();
    expect(token.headers.get("WWW-Authenticate")).toContain('error="invalid_token", error_description="the token is bad"');
    expect(await token.json()).toEqual({ error: "invalid_token", error_description: 'the "token" is bad' });
    const refused = await call(thrower, "/mcp/refused");
    expect(refused.headers.get("Cache-Control")).toBe("no-store");
    expect(await refused.json()).toEqual({ error: "invalid_grant", error_description: "no such code" });
    vi.spyOn(console, "error").mockImplementation(() => {});
    const crashed = await call(thrower, "/mcp/crash");
    expect(crashed.status).toBe(500);
    expect(await crashed.json()).toEqual({ jsonrpc: "2.0", error: { code: -32603, message: `Internal error (reference ${CORRELATION_ID})` }, id: null });
  });

  it("a crash is logged once with the request and its reference, and answered in the mount's format", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const crashed = await call(thrower, "/oauth/crash");
    expect(crashed.status).toBe(500);
    expect(crashed.headers.get("Cache-Control")).toBe("no-store");
    expect(await crashed.json()).toEqual({ error: "server_error", error_description: `internal error (reference ${CORRELATION_ID})` });
    expect(errors.mock.calls.map((args) => JSON.parse(String(args[0])))).toEqual([
      { event: "request.crashed", method: "GET", path: "/oauth/crash", correlation_id: CORRELATION_ID, error: "Error: boom" },
    ]);
  });

  it("where no mount set a format, anything thrown is the last resort: a plain server_error with the correlation id", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    for (const path of ["/none/refused", "/none/page", "/none/crash"]) {
      const res = await call(thrower, path);
      expect(res.status).toBe(500);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(await res.json()).toEqual({ error: "server_error", error_description: `internal error (reference ${CORRELATION_ID})` });
    }
  });
});

describe("the configuration gates and the request log", () => {
  const gated = appWith((app) => {
    app.use("/api", oauthErrors, logRequests, requireConfig);
    app.use("/sign-in", pageErrors, logRequests, requireSignInConfig);
    app.use("/quiet", oauthErrors);
    for (const path of ["/api", "/sign-in", "/quiet"]) app.on(["GET", "POST"], path, (c) => c.text("ok"));
  });

  it("let every request through a complete configuration", async () => {
    for (const path of ["/api", "/sign-in"]) expect(await (await call(gated, path)).text()).toBe("ok");
  });

  it("refuse with 503 naming each variable: in the mount's format, and as a page for a browser's GET of the sign-in", async () => {
    const api = await call(gated, "/api", undefined, broken);
    expect(api.status).toBe(503);
    const body = await api.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("temporarily_unavailable");
    expect(body.error_description).toMatch(/^Gatehouse is not configured: .*DEV_IDP.*\.$/);
    const page = await call(gated, "/sign-in", undefined, broken);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("Sign-in is unavailable");
    const posted = await call(gated, "/sign-in", { method: "POST" }, broken);
    expect(posted.status).toBe(503);
    expect(await posted.text()).toContain("This sign-in request cannot continue");
    expect(await (await call(gated, "/quiet", undefined, broken)).text()).toBe("ok");
  });

  it("log one line per request of a mount that applies logRequests, with the gate's refusal, and none elsewhere", async () => {
    const spy = vi.spyOn(console, "log");
    await call(gated, "/api", undefined, broken);
    await call(gated, "/sign-in", undefined, broken);
    await call(gated, "/quiet");
    const lines = spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
    expect(lines).toEqual([
      { event: "request.failed", method: "GET", path: "/api", status: 503, error: "temporarily_unavailable", reason: "configuration", latency_ms: expect.any(Number), correlation_id: CORRELATION_ID },
      { event: "request.completed", method: "GET", path: "/sign-in", status: 503, latency_ms: expect.any(Number), correlation_id: CORRELATION_ID },
    ]);
  });
});
