// Scope narrowing at /authorize and the scopes an access token carries. @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import type { Env } from "../env";
import { accessTokenScopes, narrowScope } from "./scope";

const config = parseConfig({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gh", SCOPES: "mcp files:read" } as Env);

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

  // claude.ai sends `scope= offline_access` (anthropics/claude-ai-mcp#453): refresh on top of the default scopes.
  it("grants the default scopes with offline_access when offline_access alone is asked for, leading space or not", () => {
    expect(narrowScope(config, " offline_access")).toEqual({ ok: true, scopes: ["mcp", "files:read", "offline_access"] });
    expect(narrowScope(config, "offline_access")).toEqual({ ok: true, scopes: ["mcp", "files:read", "offline_access"] });
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
