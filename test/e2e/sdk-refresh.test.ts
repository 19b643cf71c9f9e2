// The MCP TypeScript SDK's client keeps working when its access token stops working: on /mcp's 401 invalid_token it
// refreshes with grant_type=refresh_token (Gatehouse rotates the refresh token) and retries, with no new sign-in. Once
// the client revokes its grant (RFC 7009), refreshing fails with invalid_grant and the SDK falls back to a new
// authorization.
// @see MCP specification, basic/authorization (token refresh); OAuth 2.1 (draft-13) §4.3; RFC 7009; RFC 6750 §3.1
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8841;
const EMAIL = "katherine@example.com";
const REDIRECT = "http://127.0.0.1:33419/callback";

/** One request the SDK made, with what these tests need of it: the token request's grant type and error. */
interface Exchange {
  method: string;
  path: string;
  status: number;
  /** `grant_type` of a POST /token form. */
  grantType?: string;
  /** The JSON `error` of an unsuccessful /token answer. */
  error?: string;
  wwwAuthenticate?: string | null;
  cacheControl?: string | null;
}

/** Like oauth-client.ts's recordingFetch, plus the token requests' grant types and their errors (bodies are cloned). */
function exchangeLog(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const isToken = url.pathname === "/token" && request.method === "POST";
    const grantType = isToken ? (new URLSearchParams(await request.clone().text()).get("grant_type") ?? undefined) : undefined;
    const response = await fetch(request);
    let error: string | undefined;
    if (isToken && !response.ok) error = ((await response.clone().json()) as { error?: string }).error;
    log.push({
      method: request.method,
      path: url.pathname,
      status: response.status,
      grantType,
      error,
      wwwAuthenticate: response.headers.get("WWW-Authenticate"),
      cacheControl: response.headers.get("Cache-Control"),
    });
    return response;
  };
}

/** The headless client plus what a real client does on invalid_grant: forget the tokens (the SDK's `invalidateCredentials`). */
class ForgetfulClient extends HeadlessOAuthClient {
  readonly invalidated: string[] = [];
  #forgotten = false;

  override tokens(): OAuthTokens | undefined {
    return this.#forgotten ? undefined : super.tokens();
  }

  override saveTokens(tokens: OAuthTokens): void {
    this.#forgotten = false;
    super.saveTokens(tokens);
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    this.invalidated.push(scope);
    if (scope === "tokens" || scope === "all") this.#forgotten = true;
  }
}

const brief = (log: Exchange[]) => log.map((r) => `${r.method} ${r.path} ${r.status}${r.grantType ? ` ${r.grantType}` : ""}${r.error ? ` ${r.error}` : ""}`);

describe("MCP SDK client: transparent refresh with rotation, and revocation", () => {
  let server: Gatehouse;
  let oauth: ForgetfulClient;
  let client: Client;
  const log: Exchange[] = [];
  const fetchFn = exchangeLog(log);
  let firstTokens: OAuthTokens | undefined;
  let identity: Record<string, unknown> | undefined;

  const whoami = async () => {
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.isError).toBeFalsy();
    return result.structuredContent as Record<string, unknown>;
  };

  beforeAll(async () => {
    server = await startGatehouse(PORT);
    oauth = new ForgetfulClient({
      redirectUrl: REDIRECT,
      clientName: "Gatehouse e2e SDK refresh client",
      browse: { fill: { email: EMAIL, name: "Katherine Johnson" }, choose: ["decision=approve", "action=login"] },
      expectedIssuer: server.url,
    });
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    await server?.stop();
  });

  it("signs in (registration, browser, code exchange), receives a refresh token and calls whoami", async () => {
    const first = new Client({ name: "gatehouse-e2e-refresh", version: "1.0.0" });
    const firstTransport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth, fetch: fetchFn });
    await expect(first.connect(firstTransport)).rejects.toBeInstanceOf(UnauthorizedError);
    await first.close();
    expect(oauth.callbacks).toHaveLength(1);
    await firstTransport.finishAuth(oauth.code ?? "");

    firstTokens = oauth.tokens();
    expect((oauth.savedClients[0] as { grant_types?: string[] } | undefined)?.grant_types).toContain("refresh_token");
    expect(firstTokens?.refresh_token).toMatch(/^gh1r_[0-9a-f]+\.[A-Za-z0-9_-]{43,}$/);

    client = new Client({ name: "gatehouse-e2e-refresh", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth, fetch: fetchFn }));
    identity = await whoami();
    expect(identity).toMatchObject({ authenticated: true, email: EMAIL, client_id: oauth.savedClients[0]?.client_id });
    expect(brief(log).filter((l) => l.includes("/token"))).toEqual(["POST /token 200 authorization_code"]);
  });

  it("on 401 invalid_token refreshes with grant_type=refresh_token, gets a rotated refresh token, and the tool call succeeds", async () => {
    const before = oauth.tokens();
    expect(before?.refresh_token).toBe(firstTokens?.refresh_token);
    // The access token is made unusable (as if it had expired); the refresh token is untouched.
    oauth.saveTokens({ ...(before as OAuthTokens), access_token: "not-a-jwt.garbage.token" });
    const start = log.length;

    const again = await whoami();

    const exchanges = log.slice(start);
    expect(brief(exchanges)).toEqual(["POST /mcp 401", "POST /token 200 refresh_token", "POST /mcp 200"]);
    expect(exchanges[0]?.wwwAuthenticate).toMatch(/^Bearer .*error="invalid_token"/);
    expect(exchanges[1]?.cacheControl).toBe("no-store");
    expect(again).toEqual(identity);
    const after = oauth.tokens();
    expect(after?.access_token).not.toBe("not-a-jwt.garbage.token");
    expect(after?.access_token).not.toBe(firstTokens?.access_token);
    // Rotation: a new refresh token of the same grant (family).
    expect(after?.refresh_token).toMatch(/^gh1r_/);
    expect(after?.refresh_token).not.toBe(firstTokens?.refresh_token);
    expect(after?.refresh_token?.split(".")[0]).toBe(firstTokens?.refresh_token?.split(".")[0]);
    // No second sign-in happened.
    expect(oauth.authorizationUrls).toHaveLength(1);
    expect(oauth.callbacks).toHaveLength(1);
    expect(oauth.invalidated).toEqual([]);
  });

  it("after POST /revoke of the refresh token, the next call fails to refresh (invalid_grant) and the SDK asks for a new authorization", async () => {
    const current = oauth.tokens();
    const clientId = oauth.savedClients[0]?.client_id ?? "";
    const revoke = await fetch(`${server.url}/revoke`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: current?.refresh_token ?? "", token_type_hint: "refresh_token", client_id: clientId }),
    });
    expect(revoke.status).toBe(200);
    // A new sign-in would be asked for, not performed: no browser this time.
    oauth.options.browse = undefined;
    const start = log.length;

    const error = await client.callTool({ name: "whoami", arguments: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );

    // The grant is gone, so the still-unexpired access token is refused too; the refresh is refused as invalid_grant;
    // the SDK forgets the tokens and starts a new authorization, which stops for the person (UnauthorizedError).
    const exchanges = log.slice(start);
    expect(brief(exchanges)).toEqual(["POST /mcp 401", "POST /token 400 refresh_token invalid_grant"]);
    expect(exchanges[0]?.wwwAuthenticate).toMatch(/^Bearer .*error="invalid_token"/);
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect(oauth.invalidated).toEqual(["tokens"]);
    expect(oauth.authorizationUrls).toHaveLength(2);
    expect(oauth.authorizationUrls[1]?.searchParams.get("client_id")).toBe(clientId);
    expect(oauth.callbacks).toHaveLength(1);
  });
});
