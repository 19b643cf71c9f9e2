// verifyIdentity() against Gatehouse's real keys: an assertion minted by src/tokens/identity-assertion.ts inside
// workerd, verified against the JWKS this Worker serves; the wrong audience, type, issuer or an expired one refused.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../src/config";
import type { McpServer } from "../../src/config/servers";
import type { Caller } from "../../src/identity";
import { IdentityError, verifyIdentity } from "../../src/index";
import { mintAccessToken } from "../../src/tokens/access-token";
import { identityAssertion } from "../../src/tokens/identity-assertion";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { liveGrantId } from "./helpers/grant";

const config = loadConfig(env);
const grantId = await liveGrantId();
const CALLER: Caller = { subject: "usr_ada", clientId: "client-1", scopes: ["mcp"], grantId, email: "ada@analytical.example", emailVerified: true, orgId: "org_42", orgName: "Analytical Engines" };

function server(audience: string): McpServer {
  return { name: "tools", label: "tools", path: "/mcp/tools", resource: `${BASE}/mcp/tools`, service: audience, scopes: ["mcp"], tools: { deny: [], scopes: {} }, timeoutMs: 1000, requires: [] };
}

const withBearer = (token: string, headers: Record<string, string> = {}) => new Request("https://origin.example/mcp", { headers: { Authorization: `Bearer ${token}`, ...headers } });

beforeEach(() => {
  // The key set is fetched from Gatehouse's /.well-known/jwks.json, served here by the Worker itself, whatever the issuer.
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${BASE}${url.pathname}`, init), env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
  return () => vi.restoreAllMocks();
});

describe("verifyIdentity", () => {
  it("returns the caller of an assertion Gatehouse minted, read from the JWKS it serves", async () => {
    const token = await identityAssertion(env, config, server("ORIGIN_A"), CALLER);
    expect(await verifyIdentity(withBearer(token), { issuer: BASE, audience: "service:ORIGIN_A" })).toEqual({
      sub: "usr_ada",
      email: "ada@analytical.example",
      email_verified: true,
      org_id: "org_42",
      org_name: "Analytical Engines",
      client_id: "client-1",
      scope: "mcp",
      sid: grantId,
    });
  });

  it("reads the Gatehouse-Identity header first, and Authorization otherwise", async () => {
    const token = await identityAssertion(env, config, server("ORIGIN_B"), CALLER);
    const both = new Request("https://origin.example/mcp", { headers: { Authorization: "Bearer upstream-token", "Gatehouse-Identity": token } });
    expect((await verifyIdentity(both, { issuer: BASE, audience: "service:ORIGIN_B" })).sub).toBe("usr_ada");
  });

  it("refuses another audience, another issuer, an expired assertion and an access token (typ at+jwt)", async () => {
    const token = await identityAssertion(env, config, server("ORIGIN_C"), CALLER);
    const refused = (request: Request, issuer = BASE, audience = "service:ORIGIN_C") => verifyIdentity(request, { issuer, audience }).then(() => "accepted", (e: unknown) => (e instanceof IdentityError ? `${e.code}: ${e.message}` : String(e)));
    expect(await refused(withBearer(token), BASE, "service:OTHER")).toBe('invalid: the identity assertion is invalid: unexpected "aud" claim value');
    expect(await refused(withBearer(token), "http://127.0.0.1:8787")).toBe('invalid: the identity assertion is invalid: unexpected "iss" claim value');
    const expired = await identityAssertion(env, config, server("ORIGIN_D"), CALLER, Date.now() - 10 * 60_000);
    expect(await refused(withBearer(expired), BASE, "service:ORIGIN_D")).toMatch(/^invalid: the identity assertion is invalid: "exp" claim timestamp check failed/);
    const { token: access } = await mintAccessToken(env, config, { subject: "usr_ada", clientId: "client-1", scope: "mcp", grantId, emailVerified: true, resource: "service:ORIGIN_C" });
    expect(await refused(withBearer(access))).toBe('invalid: the identity assertion is invalid: unexpected "typ" JWT header value');
    expect(await refused(new Request("https://origin.example/mcp"))).toBe("missing: no Gatehouse identity assertion");
  });
});
