// The claim rules of an ID-JAG once its signature verified. @see draft-ietf-oauth-identity-assertion-authz-grant
import { describe, expect, it } from "vitest";
import { parseConfig } from "../config";
import type { Env } from "../env";
import { checkAssertion, isIdJagType, trustedIdp } from "./id-jag";

const config = parseConfig({
  PUBLIC_URL: "https://auth.example.com",
  UPSTREAM_ISSUER: "https://acme.okta.example",
  UPSTREAM_CLIENT_ID: "gh",
  SCOPES: "mcp files:read",
  MCP_SERVERS: JSON.stringify([{ name: "github", origin: "https://github-mcp.example/mcp" }]),
  TRUSTED_ENTERPRISE_IDPS: JSON.stringify([
    { issuer: "https://acme.okta.example", clients: ["claude"], audiences: ["https://auth.example.com/mcp"] },
    { issuer: "https://beta.example", clients: ["claude"], trust_email: true },
  ]),
} as Env);
const [acme, beta] = config.trustedEnterpriseIdps;
const NOW = 1_800_000_000;
const claims = { iss: "https://acme.okta.example", sub: "00u1", aud: "https://auth.example.com", client_id: "claude", jti: "j1", iat: NOW - 10, exp: NOW + 290, email: "Ada@Acme.example", email_verified: true };
const check = (payload: Record<string, unknown>, request: { resource?: string; scope?: string; clientId?: string } = {}, idp = acme) => {
  if (!idp) throw new Error("no idp");
  return checkAssertion(config, idp, payload, { clientId: "claude", now: NOW, ...request });
};

describe("TRUSTED_ENTERPRISE_IDPS", () => {
  it("maps an IdP to the upstream with its issuer, else to the issuer, and names it by host", () => {
    expect(config.problems).toEqual([]);
    expect(acme).toMatchObject({ provider: "default", name: "acme.okta.example", trustEmail: false });
    expect(beta).toMatchObject({ provider: "https://beta.example", trustEmail: true });
    expect(trustedIdp(config, "https://acme.okta.example")).toBe(acme);
    expect(trustedIdp(config, "https://acme.okta.example/")).toBeUndefined();
  });
});

describe("checkAssertion", () => {
  it("accepts a well-formed assertion: the default scopes, the MCP resource, the email normalised", () => {
    expect(check(claims)).toEqual({ ok: true, assertion: { subject: "00u1", jti: "j1", expiresAt: NOW + 290, resource: "https://auth.example.com/mcp", scopes: ["mcp", "files:read"], email: "Ada@acme.example", emailVerified: true, name: undefined } });
  });

  it.each([
    ["another audience", { aud: "https://auth.example.com/mcp" }],
    ["another client", { client_id: "cursor" }],
    ["an expiry past the leeway", { iat: NOW - 400, exp: NOW - 61 }],
    ["an iat ahead of the leeway", { iat: NOW + 61, exp: NOW + 200 }],
    ["a lifetime over 10 minutes", { exp: NOW + 700 }],
    ["no jti", { jti: undefined }],
    ["no sub", { sub: undefined }],
  ])("refuses %s with invalid_grant", (_case, change) => {
    expect(check({ ...claims, ...change })).toMatchObject({ ok: false, error: "invalid_grant" });
  });

  it("refuses a client the IdP may not assert for, even when it is the authenticated one", () => {
    expect(check({ ...claims, client_id: "cursor" }, { clientId: "cursor" })).toMatchObject({ ok: false, error: "invalid_grant", reason: "the IdP may not assert for this client" });
  });

  it("keeps an IdP to its audiences, and the request to the assertion's resource", () => {
    expect(check({ ...claims, resource: "https://auth.example.com/mcp/github" })).toMatchObject({ ok: false, error: "invalid_target" });
    expect(check({ ...claims, iss: "https://beta.example", resource: "https://auth.example.com/mcp/github" }, {}, beta)).toMatchObject({ ok: true, assertion: { resource: "https://auth.example.com/mcp/github" } });
    expect(check({ ...claims, resource: "https://auth.example.com/mcp" }, { resource: "https://auth.example.com/mcp/github" })).toMatchObject({ ok: false, error: "invalid_target" });
  });

  it("grants the claim's scope without offline_access, and lets the request narrow but not widen it", () => {
    expect(check({ ...claims, scope: "mcp offline_access" })).toMatchObject({ ok: true, assertion: { scopes: ["mcp"] } });
    expect(check({ ...claims, scope: "mcp" }, { scope: "mcp files:read" })).toMatchObject({ ok: false, error: "invalid_scope" });
    expect(check({ ...claims, scope: "mcp admin" })).toMatchObject({ ok: false, error: "invalid_scope" });
  });

  it("counts an email as verified only when the IdP says so, or trusts its directory and says nothing", () => {
    expect(check({ ...claims, email_verified: false })).toMatchObject({ ok: true, assertion: { emailVerified: false } });
    expect(check({ ...claims, email_verified: undefined })).toMatchObject({ ok: true, assertion: { emailVerified: false } });
    expect(check({ ...claims, iss: "https://beta.example", email_verified: undefined }, {}, beta)).toMatchObject({ ok: true, assertion: { emailVerified: true } });
    expect(check({ ...claims, iss: "https://beta.example", email_verified: false }, {}, beta)).toMatchObject({ ok: true, assertion: { emailVerified: false } });
  });
});

describe("isIdJagType", () => {
  it("accepts oauth-id-jag+jwt with or without application/, in any case, and nothing else", () => {
    expect(isIdJagType("oauth-id-jag+jwt")).toBe(true);
    expect(isIdJagType("application/OAUTH-ID-JAG+JWT")).toBe(true);
    expect(isIdJagType("JWT")).toBe(false);
    expect(isIdJagType(undefined)).toBe(false);
  });
});
