// Federation to a real OpenID provider: node-oidc-provider on loopback (its development login and consent pages)
// as Gatehouse's only upstream, and the MCP SDK client signing in through both to call `whoami`.
// @see OpenID Connect Core 1.0 §3.1 (authorization code flow), RFC 7636 (PKCE)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { ACCOUNT, startUpstream, type Upstream } from "./upstream-provider";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8821;
const UPSTREAM_CLIENT_ID = "gatehouse-e2e";
const UPSTREAM_CLIENT_SECRET = "e2e-upstream-secret-that-is-long-enough-0123456789";

describe("federation to an upstream OpenID provider (oidc-provider)", () => {
  let gatehouse: Gatehouse;
  let upstream: Upstream;
  let oauth: HeadlessOAuthClient;

  beforeAll(async () => {
    upstream = await startUpstream(`http://localhost:${PORT}`, { clientId: UPSTREAM_CLIENT_ID, clientSecret: UPSTREAM_CLIENT_SECRET });
    gatehouse = await startGatehouse(PORT, {
      DEV_IDP: "false",
      UPSTREAM_ISSUER: upstream.issuer,
      UPSTREAM_CLIENT_ID,
      UPSTREAM_CLIENT_SECRET,
    });
    oauth = new HeadlessOAuthClient({
      redirectUrl: "http://127.0.0.1:33419/callback",
      clientName: "Gatehouse e2e upstream client",
      browse: { fill: { login: ACCOUNT.login, password: "any password" }, choose: ["decision=approve"] },
      expectedIssuer: gatehouse.url,
    });
  });

  afterAll(async () => {
    await gatehouse?.stop();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => (upstream?.server ? upstream.server.close(resolve) : resolve(undefined)));
  });

  it("signs in at the upstream provider and whoami returns the upstream account's email", async () => {
    const url = new URL(`${gatehouse.url}/mcp`);
    const first = new Client({ name: "gatehouse-e2e", version: "1.0.0" });
    await expect(first.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }))).rejects.toBeInstanceOf(UnauthorizedError);
    await first.close();
    await new StreamableHTTPClientTransport(url, { authProvider: oauth }).finishAuth(oauth.code ?? "");

    const client = new Client({ name: "gatehouse-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
    let whoami: unknown;
    try {
      whoami = (await client.callTool({ name: "whoami", arguments: {} })).structuredContent;
    } finally {
      await client.close();
    }
    expect(whoami).toEqual({
      authenticated: true,
      subject: expect.any(String),
      email: ACCOUNT.email,
      email_verified: true,
      domain: "navy.example",
      organization: null,
      client_id: oauth.savedClients[0]?.client_id,
      scopes: ["mcp"],
      // The provider's tokens are in the grant's vault; whoami names them, never shows them.
      linked_providers: [{ provider: "default", scopes: ["openid", "email", "profile"] }],
    });
  });

  it("sends the browser to the upstream with PKCE S256, a nonce and the configured scopes, and back to /callback", () => {
    const toUpstream = oauth.browser.steps.find((s) => s.location?.origin === upstream.issuer)?.location;
    expect(toUpstream?.pathname).toBe("/auth");
    expect(toUpstream?.searchParams.get("client_id")).toBe(UPSTREAM_CLIENT_ID);
    expect(toUpstream?.searchParams.get("redirect_uri")).toBe(`${gatehouse.url}/callback`);
    expect(toUpstream?.searchParams.get("response_type")).toBe("code");
    expect(toUpstream?.searchParams.get("scope")).toBe("openid email profile");
    expect(toUpstream?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(toUpstream?.searchParams.get("nonce")).toEqual(expect.any(String));
    // The person saw Gatehouse's consent page, then the upstream's login and consent pages.
    const pages = oauth.browser.pages.map((p) => `${p.url.origin === upstream.issuer ? "upstream" : "gatehouse"} ${p.status}`);
    expect(pages).toEqual(["gatehouse 200", "upstream 200", "upstream 200"]);
    const callback = oauth.browser.steps.find((s) => s.url.origin === gatehouse.url && s.url.pathname === "/callback");
    expect(callback?.status).toBe(302);
    expect(oauth.callbacks[0]?.searchParams.get("iss")).toBe(gatehouse.url);
  });

  it("redeems the upstream code at the upstream token endpoint with the configured client", () => {
    expect(upstream.events).toEqual(["authorization.success prompt=", "grant.success"]);
  });
});
