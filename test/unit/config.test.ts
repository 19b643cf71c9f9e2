import { describe, expect, it } from "vitest";
import { isLoopbackHost, parseConfig } from "../../src/config";
import type { Env } from "../../src/env";

const bindings = {} as Pick<Env, "DB" | "GRANTS" | "KEYS">;
const upstream = { UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gatehouse" };

function parse(vars: Partial<Env>) {
  return parseConfig({ ...bindings, ...vars } as Env);
}

function variables(vars: Partial<Env>) {
  return parse(vars).problems.map((p) => p.variable);
}

describe("parseConfig", () => {
  it("accepts a production configuration with one OIDC provider and applies every default", () => {
    const config = parse({ PUBLIC_URL: "https://auth.example.com", ...upstream });
    expect(config.problems).toEqual([]);
    expect(config).toMatchObject({
      publicUrl: "https://auth.example.com",
      issuer: "https://auth.example.com",
      mcpResource: "https://auth.example.com/mcp",
      scopes: ["mcp"],
      devIdp: false,
      requireAuth: true,
      emailPolicy: "any",
      allowedEmailDomains: [],
      accessTokenTtl: 3600,
      refreshIdleTtl: 30 * 86400,
      refreshMaxTtl: 90 * 86400,
      refreshReplayWindow: 30,
      livenessCacheTtl: 30,
      branding: { serviceName: "Gatehouse" },
    });
    expect(config.upstreams).toHaveLength(1);
    expect(config.upstreams[0]).toMatchObject({ name: "default", type: "oidc", issuer: "https://idp.example.com", clientId: "gatehouse", scopes: "openid email profile", builtIn: false });
    expect(config.upstreams[0]?.claims).toMatchObject({ orgId: "org_id", orgName: "org_name" });
  });

  it("strips a trailing slash from PUBLIC_URL so the issuer is exact", () => {
    expect(parse({ PUBLIC_URL: "https://auth.example.com/", ...upstream }).issuer).toBe("https://auth.example.com");
  });

  it.each([
    ["missing", undefined],
    ["not a URL", "auth.example.com"],
    ["a path", "https://auth.example.com/oauth"],
    ["a query", "https://auth.example.com/?x=1"],
    ["credentials", "https://user:pw@auth.example.com"],
    ["plain http on a public host", "http://auth.example.com"],
    ["another scheme", "ftp://auth.example.com"],
  ])("refuses PUBLIC_URL with %s", (_case, value) => {
    expect(variables({ PUBLIC_URL: value, ...upstream })).toContain("PUBLIC_URL");
  });

  it("allows plain http on loopback with a warning", () => {
    const config = parse({ PUBLIC_URL: "http://127.0.0.1:8787", ...upstream });
    expect(config.problems).toEqual([]);
    expect(config.warnings.join(" ")).toMatch(/plain http/);
  });

  it("enables the development IdP only on a loopback PUBLIC_URL", () => {
    const dev = parse({ PUBLIC_URL: "http://localhost:8787", DEV_IDP: "true" });
    expect(dev.problems).toEqual([]);
    expect(dev.devIdp).toBe(true);
    expect(dev.upstreams.map((u) => [u.name, u.issuer, u.builtIn])).toEqual([["dev", "http://localhost:8787/dev-idp", true]]);

    const refused = parse({ PUBLIC_URL: "https://auth.example.com", DEV_IDP: "true", ...upstream });
    expect(refused.problems.map((p) => p.variable)).toEqual(["DEV_IDP"]);
    expect(refused.devIdp).toBe(false);
    expect(refused.upstreams.some((u) => u.builtIn)).toBe(false);
  });

  it("names UPSTREAM_ISSUER when no identity provider is configured", () => {
    const config = parse({ PUBLIC_URL: "https://auth.example.com" });
    expect(config.problems).toEqual([{ variable: "UPSTREAM_ISSUER", message: expect.stringContaining("no identity provider") }]);
  });

  it("requires UPSTREAM_CLIENT_ID with UPSTREAM_ISSUER", () => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com" })).toEqual(["UPSTREAM_CLIENT_ID"]);
  });

  it("refuses a plain-http upstream unless both it and PUBLIC_URL are loopback", () => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "http://127.0.0.1:9000", UPSTREAM_CLIENT_ID: "x" })).toEqual(["UPSTREAM_ISSUER"]);
    expect(variables({ PUBLIC_URL: "http://localhost:8787", UPSTREAM_ISSUER: "http://idp.example.com", UPSTREAM_CLIENT_ID: "x" })).toEqual(["UPSTREAM_ISSUER"]);
    expect(variables({ PUBLIC_URL: "http://localhost:8787", UPSTREAM_ISSUER: "http://127.0.0.1:9000", UPSTREAM_CLIENT_ID: "x" })).toEqual([]);
  });

  it("reads the secret, scopes and organisation claim names of the single provider", () => {
    const config = parse({
      PUBLIC_URL: "https://auth.example.com",
      ...upstream,
      UPSTREAM_CLIENT_SECRET: "s3cret",
      UPSTREAM_SCOPES: "openid email",
      UPSTREAM_ORG_ID_CLAIM: "https://example.com/org",
      UPSTREAM_ORG_NAME_CLAIM: "org.name",
    });
    expect(config.upstreams[0]).toMatchObject({ clientSecret: "s3cret", scopes: "openid email", claims: { orgId: "https://example.com/org", orgName: "org.name" } });
  });

  it("parses UPSTREAMS with OIDC and GitHub-style OAuth providers", () => {
    const config = parse({
      PUBLIC_URL: "https://auth.example.com",
      UPSTREAMS: JSON.stringify([
        { name: "okta", issuer: "https://example.okta.com", client_id: "a" },
        {
          name: "github",
          type: "oauth2",
          label: "GitHub",
          issuer: "https://github.com",
          client_id: "b",
          client_secret: "c",
          scopes: "read:user user:email",
          authorization_endpoint: "https://github.com/login/oauth/authorize",
          token_endpoint: "https://github.com/login/oauth/access_token",
          userinfo_endpoint: "https://api.github.com/user",
          claims: { name: "login" },
        },
      ]),
    });
    expect(config.problems).toEqual([]);
    expect(config.upstreams.map((u) => [u.name, u.type, u.label])).toEqual([
      ["okta", "oidc", "okta"],
      ["github", "oauth2", "GitHub"],
    ]);
    expect(config.upstreams[1]?.claims).toMatchObject({ subject: "id", name: "login", email: "email" });
  });

  it.each([
    ["not JSON", "[{"],
    ["not an array", JSON.stringify({ name: "x" })],
    ["an empty array", "[]"],
    ["a bad name", JSON.stringify([{ name: "Bad Name", issuer: "https://x.example", client_id: "a" }])],
    ["a missing client_id", JSON.stringify([{ name: "x", issuer: "https://x.example" }])],
    ["an oauth2 provider without endpoints", JSON.stringify([{ name: "gh", type: "oauth2", issuer: "https://github.com", client_id: "a" }])],
    ["duplicate names", JSON.stringify([{ name: "x", issuer: "https://a.example", client_id: "a" }, { name: "x", issuer: "https://b.example", client_id: "b" }])],
  ])("refuses UPSTREAMS with %s", (_case, value) => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", UPSTREAMS: value })).toContain("UPSTREAMS");
  });

  it.each([
    ["ACCESS_TOKEN_TTL", "59"],
    ["ACCESS_TOKEN_TTL", "86401"],
    ["ACCESS_TOKEN_TTL", "1.5"],
    ["ACCESS_TOKEN_TTL", "an hour"],
    ["REFRESH_IDLE_TTL", "60"],
    ["REFRESH_MAX_TTL", String(366 * 86400)],
    ["REFRESH_REPLAY_WINDOW", "-1"],
    ["REFRESH_REPLAY_WINDOW", "301"],
    ["LIVENESS_CACHE_TTL", "-1"],
    ["LIVENESS_CACHE_TTL", "31"],
    ["SSO_MAX_AGE", "-1"],
    ["SSO_MAX_AGE", String(30 * 86400 + 1)],
    ["SSO_MAX_AGE", "a day"],
    ["KEY_ROTATION_DAYS", "0"],
    ["EVENT_RETENTION_DAYS", "0"],
    ["MAX_DCR_CLIENTS", "0"],
    ["MAX_CIMD_CLIENTS", "0"],
    ["MAX_DCR_CLIENTS_PER_SOURCE", "0"],
  ])("refuses %s=%s (out of bounds)", (variable, value) => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", ...upstream, [variable]: value })).toEqual([variable]);
  });

  it("accepts TTLs within bounds, and a strict replay window of 0", () => {
    const config = parse({ PUBLIC_URL: "https://auth.example.com", ...upstream, ACCESS_TOKEN_TTL: "600", REFRESH_IDLE_TTL: "86400", REFRESH_MAX_TTL: "172800", REFRESH_REPLAY_WINDOW: "0", LIVENESS_CACHE_TTL: "0" });
    expect(config.problems).toEqual([]);
    expect([config.accessTokenTtl, config.refreshIdleTtl, config.refreshMaxTtl, config.refreshReplayWindow, config.livenessCacheTtl]).toEqual([600, 86400, 172800, 0, 0]);
  });

  it("defaults SSO_MAX_AGE to a day, accepts 0 (never lend a login) up to 30 days, and never past REFRESH_MAX_TTL", () => {
    expect(parse({ PUBLIC_URL: "https://auth.example.com", ...upstream }).ssoMaxAge).toBe(86400);
    expect(parse({ PUBLIC_URL: "https://auth.example.com", ...upstream, SSO_MAX_AGE: "0" }).ssoMaxAge).toBe(0);
    expect(parse({ PUBLIC_URL: "https://auth.example.com", ...upstream, SSO_MAX_AGE: String(30 * 86400) }).ssoMaxAge).toBe(30 * 86400);
    expect(variables({ PUBLIC_URL: "https://auth.example.com", ...upstream, REFRESH_IDLE_TTL: "3600", REFRESH_MAX_TTL: "7200", SSO_MAX_AGE: "7201" })).toEqual(["SSO_MAX_AGE"]);
  });

  it("refuses a maximum refresh lifetime shorter than the idle one", () => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", ...upstream, REFRESH_IDLE_TTL: "172800", REFRESH_MAX_TTL: "86400" })).toEqual(["REFRESH_MAX_TTL"]);
  });

  it.each([
    ["REQUIRE_AUTH", "maybe"],
    ["DEV_IDP", "on?"],
    ["EMAIL_POLICY", "corporate"],
    ["ALLOWED_EMAIL_DOMAINS", "example.com, not a domain"],
    ["SCOPES", "mcp offline_access"],
    ["LOGO_URL", "javascript:alert(1)"],
    ["PRIVACY_URL", "/privacy"],
    ["ADMIN_TOKEN", "short"],
  ])("refuses %s=%s", (variable, value) => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", ...upstream, [variable]: value })).toEqual([variable]);
  });

  it("reads a STATIC_CLIENTS resource server marked for introspection, which needs no redirect_uris", () => {
    const config = parse({
      PUBLIC_URL: "https://auth.example.com",
      ...upstream,
      STATIC_CLIENTS: JSON.stringify([
        { client_id: "rs", client_name: "Resource server", token_endpoint_auth_method: "client_secret_basic", client_secret: "s".repeat(32), introspection: true },
        { client_id: "tool", client_name: "Tool", redirect_uris: ["https://tool.example.com/cb"] },
      ]),
    });
    expect(config.problems).toEqual([]);
    expect(config.staticClients.map((s) => [s.clientId, s.introspection, s.redirectUris])).toEqual([
      ["rs", true, []],
      ["tool", false, ["https://tool.example.com/cb"]],
    ]);
  });

  it.each([
    ["a public client marked for introspection", { client_id: "rs", client_name: "RS", redirect_uris: ["https://rs.example.com/cb"], introspection: true }],
    ["a client without redirect_uris that does not introspect", { client_id: "tool", client_name: "Tool", token_endpoint_auth_method: "client_secret_basic", client_secret: "s".repeat(32) }],
    ["introspection that is not a boolean", { client_id: "rs", client_name: "RS", token_endpoint_auth_method: "client_secret_basic", client_secret: "s".repeat(32), introspection: "yes" }],
  ])("refuses STATIC_CLIENTS with %s", (_case, entry) => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", ...upstream, STATIC_CLIENTS: JSON.stringify([entry]) })).toEqual(["STATIC_CLIENTS"]);
  });

  it("requires the webhook secret with the webhook URL", () => {
    expect(variables({ PUBLIC_URL: "https://auth.example.com", ...upstream, CAPTURE_WEBHOOK_URL: "https://hooks.example.com/x" })).toEqual(["CAPTURE_WEBHOOK_SECRET"]);
    const config = parse({ PUBLIC_URL: "https://auth.example.com", ...upstream, CAPTURE_WEBHOOK_URL: "https://hooks.example.com/x", CAPTURE_WEBHOOK_SECRET: "whsec" });
    expect(config.captureWebhook).toEqual({ url: "https://hooks.example.com/x", secret: "whsec" });
  });

  it.each([
    ["plain http to a public host", "http://hooks.example.com/x"],
    ["plain http to a private address", "http://10.0.0.5/x"],
    ["a non-http scheme", "ftp://hooks.example.com/x"],
    ["a relative URL", "/hooks"],
  ])("refuses CAPTURE_WEBHOOK_URL with %s", (_case, value) => {
    const config = parse({ PUBLIC_URL: "https://auth.example.com", ...upstream, CAPTURE_WEBHOOK_URL: value, CAPTURE_WEBHOOK_SECRET: "whsec" });
    expect(config.problems.map((p) => p.variable)).toEqual(["CAPTURE_WEBHOOK_URL"]);
    expect(config.captureWebhook).toBeUndefined();
  });

  it.each(["http://localhost:9000/hook", "http://127.0.0.1:9000/hook", "http://[::1]:9000/hook", "https://hooks.example.com/x"])("accepts CAPTURE_WEBHOOK_URL %s", (value) => {
    const config = parse({ PUBLIC_URL: "https://auth.example.com", ...upstream, CAPTURE_WEBHOOK_URL: value, CAPTURE_WEBHOOK_SECRET: "whsec" });
    expect(config.problems).toEqual([]);
    expect(config.captureWebhook).toEqual({ url: value, secret: "whsec" });
  });

  it("reads flags, policies, domains and branding", () => {
    const config = parse({
      PUBLIC_URL: "https://auth.example.com",
      ...upstream,
      REQUIRE_AUTH: "false",
      EMAIL_POLICY: "work",
      ALLOWED_EMAIL_DOMAINS: "Example.com, example.org",
      SCOPES: "mcp files:read",
      SERVICE_NAME: "Acme MCP",
      LOGO_URL: "https://acme.example/logo.png",
      PRIVACY_URL: "https://acme.example/privacy",
      SIGNUP_URL: "https://acme.example/signup",
      ADMIN_TOKEN: "a".repeat(32),
    });
    expect(config.problems).toEqual([]);
    expect(config.requireAuth).toBe(false);
    expect(config.warnings.join(" ")).toMatch(/REQUIRE_AUTH/);
    expect(config.emailPolicy).toBe("work");
    expect(config.allowedEmailDomains).toEqual(["example.com", "example.org"]);
    expect(config.scopes).toEqual(["mcp", "files:read"]);
    expect(config.branding).toEqual({ serviceName: "Acme MCP", logoUrl: "https://acme.example/logo.png", privacyUrl: "https://acme.example/privacy", signupUrl: "https://acme.example/signup" });
    expect(config.adminToken).toBe("a".repeat(32));
  });

  it("never throws on hostile input", () => {
    const hostile = { PUBLIC_URL: "\u0000", UPSTREAMS: "null", ACCESS_TOKEN_TTL: "1e999", SCOPES: "\"bad\"" } as Partial<Env>;
    expect(() => parse(hostile)).not.toThrow();
    expect(parse(hostile).problems.length).toBeGreaterThan(0);
  });
});

describe("isLoopbackHost", () => {
  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["[::1]", true],
    ["localhost.example.com", false],
    ["128.0.0.1", false],
    ["example.com", false],
  ])("%s → %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});

describe("parseConfig: the admin console", () => {
  const base = { PUBLIC_URL: "https://auth.example.com", ...upstream };

  it("has no console and the feedback tool on by default", () => {
    const config = parse(base);
    expect(config.admin).toBeUndefined();
    expect(config.feedbackTool).toBe(true);
    expect(config.staticClients.map((c) => c.clientId)).not.toContain("gatehouse-console");
  });

  it("reads ADMIN_EMAILS, ADMIN_DOMAINS, ADMIN_GROUPS, the claim and the session lifetime, and declares the console's client", () => {
    const config = parse({ ...base, ADMIN_EMAILS: "Ada@Example.com, bob@example.com", ADMIN_DOMAINS: "ops.example", ADMIN_GROUPS: "gatehouse-admins", ADMIN_GROUPS_CLAIM: "roles", ADMIN_SESSION_TTL: "900", FEEDBACK_TOOL: "false" });
    expect(config.problems).toEqual([]);
    expect(config.admin).toEqual({ emails: ["ada@example.com", "bob@example.com"], domains: ["ops.example"], groups: ["gatehouse-admins"], groupsClaim: "roles", sessionTtl: 900 });
    expect(config.feedbackTool).toBe(false);
    expect(config.staticClients.find((c) => c.clientId === "gatehouse-console")).toMatchObject({ redirectUris: ["https://auth.example.com/admin/callback"], tokenEndpointAuthMethod: "none" });
  });

  it("names each bad console variable", () => {
    expect(variables({ ...base, ADMIN_EMAILS: "not-an-email" })).toEqual(["ADMIN_EMAILS"]);
    expect(variables({ ...base, ADMIN_DOMAINS: "no spaces allowed!" })).toEqual(["ADMIN_DOMAINS"]);
    expect(variables({ ...base, ADMIN_EMAILS: "a@b.example", ADMIN_SESSION_TTL: "10" })).toEqual(["ADMIN_SESSION_TTL"]);
    expect(variables({ ...base, FEEDBACK_TOOL: "maybe" })).toEqual(["FEEDBACK_TOOL"]);
    expect(variables({ ...base, ADMIN_EMAILS: "a@b.example", STATIC_CLIENTS: JSON.stringify([{ client_id: "gatehouse-console", client_name: "x", redirect_uris: ["https://x.example/cb"] }]) })).toEqual(["STATIC_CLIENTS"]);
  });
});
