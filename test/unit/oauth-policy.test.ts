// Pure policies of the authorization request: PKCE S256, resource indicators, scope narrowing.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { CODE_CHALLENGE, CODE_VERIFIER, pkceS256 } from "../../src/policy/pkce";
import { resolveResource } from "../../src/policy/resource";
import { accessTokenScopes, narrowScope } from "../../src/policy/scope";

const config = parseConfig({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gh", SCOPES: "mcp files:read" } as Env);

describe("pkceS256", () => {
  it("computes the RFC 7636 Appendix B challenge", async () => {
    expect(await pkceS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  });

  it.each([
    ["43 unreserved characters", "a".repeat(43), true],
    ["128 characters with every unreserved symbol", `${"A".repeat(124)}-._~`, true],
    ["42 characters", "a".repeat(42), false],
    ["129 characters", "a".repeat(129), false],
    ["a plus sign", `${"a".repeat(42)}+`, false],
    ["a slash", `${"a".repeat(42)}/`, false],
    ["padding", `${"a".repeat(42)}=`, false],
  ])("verifier and challenge syntax: %s", (_name, value, valid) => {
    expect(CODE_VERIFIER.test(value)).toBe(valid);
    expect(CODE_CHALLENGE.test(value)).toBe(valid);
  });
});

describe("resolveResource", () => {
  it("defaults to the MCP resource when absent", () => {
    expect(resolveResource(config, undefined)).toBe("https://auth.example.com/mcp");
  });

  it("accepts exactly the MCP resource", () => {
    expect(resolveResource(config, "https://auth.example.com/mcp")).toBe("https://auth.example.com/mcp");
  });

  it.each(["https://auth.example.com/mcp?client=chatgpt", "HTTPS://AUTH.EXAMPLE.COM/mcp", "https://Auth.Example.com:443/mcp"])(
    "accepts %j as the MCP resource (same scheme, host and path), answering with the canonical one",
    (value) => {
      expect(resolveResource(config, value)).toBe("https://auth.example.com/mcp");
    },
  );

  it.each(["https://auth.example.com", "https://auth.example.com/mcp/", "https://auth.example.com/MCP", "https://other.example.com/mcp", "", "https://auth.example.com/mcp#x", "http://auth.example.com/mcp", "https://auth.example.com:8443/mcp", "https://user@auth.example.com/mcp"])(
    "refuses %j",
    (value) => {
      expect(resolveResource(config, value)).toBeUndefined();
    },
  );
});

describe("narrowScope", () => {
  it("grants the default scopes when none are asked for", () => {
    expect(narrowScope(config, undefined)).toEqual({ ok: true, scopes: ["mcp", "files:read"] });
    expect(narrowScope(config, "")).toEqual({ ok: true, scopes: ["mcp", "files:read"] });
  });

  it("grants what is asked in the configuration's order with offline_access last, without duplicates", () => {
    expect(narrowScope(config, "offline_access files:read mcp files:read")).toEqual({ ok: true, scopes: ["mcp", "files:read", "offline_access"] });
  });

  it("tolerates repeated spaces", () => {
    expect(narrowScope(config, "mcp  offline_access")).toEqual({ ok: true, scopes: ["mcp", "offline_access"] });
  });

  it("names the unknown scopes", () => {
    expect(narrowScope(config, "mcp admin openid admin")).toEqual({ ok: false, unknown: ["admin", "openid"] });
  });

  it("refuses characters outside RFC 6749 §3.3 scope tokens", () => {
    expect(narrowScope(config, 'mcp "quoted"')).toEqual({ ok: false, unknown: ['"quoted"'] });
  });

  it("leaves offline_access out of access token scopes", () => {
    expect(accessTokenScopes("mcp offline_access")).toEqual(["mcp"]);
  });
});
