// CLIENT_POLICIES matching: each matcher only for the kind of client that can prove it, first match wins.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import type { Env } from "../env";
import { accessTokenTtlFor, matchesClient } from "./client-policy";

const DAY = 86_400;
const cimd = (clientId: string) => ({ kind: "cimd" as const, clientId, clientName: "Claude" });
const dcr = (clientName: string) => ({ kind: "dcr" as const, clientId: "abc", clientName });
const fixed = (clientId: string) => ({ kind: "static" as const, clientId, clientName: "Tool" });

describe("matchesClient", () => {
  it("matches a metadata document by its exact id, and only a metadata document", () => {
    const match = { kind: "cimd_id" as const, value: "https://claude.ai/oauth/mcp-oauth-client-metadata" };
    expect(matchesClient(match, cimd("https://claude.ai/oauth/mcp-oauth-client-metadata"))).toBe(true);
    expect(matchesClient(match, cimd("https://claude.ai/oauth/mcp-oauth-client-metadata?x"))).toBe(false);
    expect(matchesClient(match, { ...fixed("https://claude.ai/oauth/mcp-oauth-client-metadata") })).toBe(false);
  });

  it("matches a metadata document by its host, not a subdomain or a look-alike", () => {
    const match = { kind: "cimd_host" as const, value: "claude.ai" };
    expect(matchesClient(match, cimd("https://claude.ai/oauth/mcp-oauth-client-metadata"))).toBe(true);
    expect(matchesClient(match, cimd("https://evil.claude.ai.example/doc"))).toBe(false);
    expect(matchesClient(match, cimd("https://sub.claude.ai/doc"))).toBe(false);
  });

  it("matches a dynamic registration's name by a whole-name glob, case-insensitively, and never a metadata document", () => {
    const match = { kind: "client_name" as const, value: "Claude*" };
    expect(matchesClient(match, dcr("Claude"))).toBe(true);
    expect(matchesClient(match, dcr("claude enterprise"))).toBe(true);
    expect(matchesClient(match, dcr("Not Claude"))).toBe(false);
    expect(matchesClient({ kind: "client_name", value: "a.b" }, dcr("aXb"))).toBe(false);
    expect(matchesClient(match, cimd("https://x.example/doc"))).toBe(false);
  });

  it("matches a static client by its id only", () => {
    expect(matchesClient({ kind: "static_id", value: "cowork" }, fixed("cowork"))).toBe(true);
    expect(matchesClient({ kind: "static_id", value: "cowork" }, { ...dcr("cowork"), clientId: "cowork" })).toBe(false);
  });
});

describe("accessTokenTtlFor", () => {
  const config = parseConfig({
    PUBLIC_URL: "https://auth.example.com",
    UPSTREAM_ISSUER: "https://idp.example.com",
    UPSTREAM_CLIENT_ID: "gh",
    CLIENT_POLICIES: JSON.stringify([
      { cimd_host: "claude.ai", access_token_ttl: 30 * DAY },
      { client_name: "Claude*", access_token_ttl: 7 * DAY },
      { cimd_id: "https://claude.ai/other", access_token_ttl: 60 },
    ]),
  } as Env);

  it("reads the policies and takes the first match", () => {
    expect(config.problems).toEqual([]);
    expect(accessTokenTtlFor(config.clientPolicies, cimd("https://claude.ai/other"), 3600)).toBe(30 * DAY);
    expect(accessTokenTtlFor(config.clientPolicies, dcr("Claude"), 3600)).toBe(7 * DAY);
  });

  it("falls back to ACCESS_TOKEN_TTL", () => {
    expect(accessTokenTtlFor(config.clientPolicies, dcr("Cursor"), 3600)).toBe(3600);
  });

  it.each([
    ["a lifetime beyond 30 days", [{ cimd_host: "claude.ai", access_token_ttl: 30 * DAY + 1 }]],
    ["two matchers", [{ cimd_host: "claude.ai", client_name: "Claude", access_token_ttl: 3600 }]],
    ["no matcher", [{ access_token_ttl: 3600 }]],
    ["an http document id", [{ cimd_id: "http://claude.ai/x", access_token_ttl: 3600 }]],
    ["an unknown field", [{ client_id: "x", access_token_ttl: 3600 }]],
  ])("names CLIENT_POLICIES for %s", (_case, policies) => {
    const bad = parseConfig({ PUBLIC_URL: "https://auth.example.com", UPSTREAM_ISSUER: "https://idp.example.com", UPSTREAM_CLIENT_ID: "gh", CLIENT_POLICIES: JSON.stringify(policies) } as Env);
    expect(bad.problems.map((p) => p.variable)).toEqual(["CLIENT_POLICIES"]);
  });
});
