// Compatibility profiles: each test reproduces what one real MCP client sends (registration body, authorization
// request, token requests, the way it treats the authorization response) and checks that Gatehouse serves it end to
// end. The comment on each profile names where the behaviour comes from. Outbound fetches (Client ID Metadata
// Documents) are a stub of fetch; the browser leg is helpers/oauth.ts's authorizeAt through consent and the dev IdP.
import { env, exports } from "cloudflare:workers";
import { InvalidGrantError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { refreshAuthorization } from "@modelcontextprotocol/sdk/client/auth.js";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sha256 } from "../../src/crypto";
import { clientInsert } from "../../src/db/clients";
import type { Env } from "../../src/env";
import { isGrantLive } from "../../src/tokens/liveness";
import { BASE, Browser, workerFetch } from "./helpers/browser";
import { authorizeAt, grantOf, MCP_RESOURCE, pkce, tokenRequest } from "./helpers/oauth";

interface Tokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

interface Registered {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  application_type?: string;
  token_endpoint_auth_method?: string;
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** POST /register with exactly `body`, as the client sends it (no helper defaults added). */
async function register(body: Record<string, unknown>, endpoint = `${BASE}/register`): Promise<Registered> {
  const res = await exports.default.fetch(endpoint, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as Registered;
}

/** An /authorize URL carrying exactly `params`. */
function authorizeUrlWith(params: Record<string, string>, endpoint = `${BASE}/authorize`): string {
  const url = new URL(endpoint);
  for (const [key, value] of Object.entries(params)) url.searchParams.append(key, value);
  return url.href;
}

async function tokens(res: Response): Promise<Tokens> {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Tokens;
}

async function oauthError(res: Response): Promise<string> {
  expect(res.status).toBeGreaterThanOrEqual(400);
  return ((await res.json()) as { error: string }).error;
}

/** A JSON-RPC call at /mcp with the bearer token, as a 2025-11-25 client sends it after initialize; `target` is another configuration. */
function mcp(accessToken: string, method: string, params?: unknown, target?: Env): Promise<Response> {
  return workerFetch(target)(`${BASE}/mcp`, {
    method: "POST",
    headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, ...(params === undefined ? {} : { params }) }),
  });
}

async function toolNames(accessToken: string, target?: Env): Promise<string[]> {
  const res = await mcp(accessToken, "tools/list", undefined, target);
  expect(res.status).toBe(200);
  const { result } = (await res.json()) as { result: { tools: { name: string }[] } };
  return result.tools.map((t) => t.name);
}

/** The authorization response of a redirect: code, state and iss (RFC 9207), and nothing unexpected. */
function authorizationResponse(redirect: URL): { code: string; state: string | null; iss: string | null } {
  const code = redirect.searchParams.get("code");
  if (!code) throw new Error(`no code in the redirect: ${redirect.search}`);
  return { code, state: redirect.searchParams.get("state"), iss: redirect.searchParams.get("iss") };
}

describe("Claude Code (Client ID Metadata Document)", () => {
  // Claude Code identifies itself by a Client ID Metadata Document it publishes at
  // https://claude.ai/oauth/claude-code-client-metadata (README "How clients register"; MCP 2025-11-25 CIMD): a public
  // client whose redirect URIs are the port-less loopback callbacks, to which it adds a random port per sign-in
  // (RFC 8252 §7.3). It asks for "mcp offline_access" with prompt=consent and sends `resource` (RFC 8707); see the
  // Claude Code request lines quoted in anthropics/claude-ai-mcp#833.
  const CLIENT_ID = "https://claude.ai/oauth/claude-code-client-metadata";
  const DOCUMENT = {
    client_id: CLIENT_ID,
    client_name: "Claude Code",
    client_uri: "https://claude.ai",
    redirect_uris: ["http://localhost/callback", "http://127.0.0.1/callback"],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
  const REDIRECT = "http://localhost:54321/callback";

  /** The claude.ai origin: serves the document, and nothing else is fetched. */
  function claudeAi() {
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      seen.push(request.url);
      if (request.url !== CLIENT_ID) throw new Error(`unexpected outbound fetch to ${request.url}`);
      return new Response(JSON.stringify(DOCUMENT), { headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=3600" } });
    });
    return seen;
  }

  it("signs in with client_id = the document URL on a random loopback port, redeems the code and refreshes", async () => {
    const seen = claudeAi();
    const { verifier, challenge } = await pkce();
    const { consent, redirect } = await authorizeAt(
      authorizeUrlWith({
        response_type: "code",
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "cc-state-1",
        scope: "mcp offline_access",
        resource: MCP_RESOURCE,
        prompt: "consent",
      }),
    );
    expect(seen).toEqual([CLIENT_ID]);
    expect(consent).toContain("Claude Code");
    expect(consent).toContain("Published by <strong>claude.ai</strong>");
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT);
    const { code, state, iss } = authorizationResponse(redirect);
    expect(state).toBe("cc-state-1");
    expect(iss).toBe(BASE);

    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(issued).toMatchObject({ token_type: "Bearer", scope: "mcp", refresh_token: expect.stringMatching(/^gh1r_/) });
    expect(decodeJwt(issued.access_token)).toMatchObject({ aud: MCP_RESOURCE, client_id: CLIENT_ID });
    expect(await toolNames(issued.access_token)).toContain("whoami");

    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(refreshed.refresh_token).toMatch(/^gh1r_/);
    expect(refreshed.refresh_token).not.toBe(issued.refresh_token);
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
    // The document was cached in D1 for its max-age: the token requests fetched nothing more.
    expect(seen).toEqual([CLIENT_ID]);
  });
});

describe("claude.ai / Claude Desktop hosted connector", () => {
  // Claude's hosted connectors register by DCR as a confidential client whose redirect is
  // https://claude.ai/api/mcp/auth_callback (anthropics/claude-ai-mcp#124, #313), authenticating at /token with
  // client_secret_post. The connector's backend runs on several hosts and may refresh the same refresh token twice at
  // once from two addresses (README "Tokens and the refresh policy": "hosted connectors refresh from two
  // addresses"); both must get the same successor, and the grant must survive (no reuse-revocation).
  const REDIRECT = "https://claude.ai/api/mcp/auth_callback";

  it("registers confidentially, signs in, and two simultaneous refreshes from two addresses both get the same successor", async () => {
    const client = await register({
      client_name: "Claude",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      scope: "mcp offline_access",
    });
    expect(client).toMatchObject({ token_endpoint_auth_method: "client_secret_post", application_type: "web", client_secret: expect.any(String) });
    const secret = client.client_secret ?? "";

    const { verifier, challenge } = await pkce();
    const { redirect } = await authorizeAt(
      authorizeUrlWith({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: REDIRECT,
        code_challenge: challenge,
        code_challenge_method: "S256",
        state: "claudeai-state",
        scope: "mcp offline_access",
        resource: MCP_RESOURCE,
      }),
    );
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT);
    const { code, iss } = authorizationResponse(redirect);
    expect(iss).toBe(BASE);

    const issued = await tokens(
      await tokenRequest(
        { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, client_secret: secret, resource: MCP_RESOURCE },
        { "CF-Connecting-IP": "160.79.104.10" },
      ),
    );
    const refreshToken = issued.refresh_token ?? "";
    expect(refreshToken).toMatch(/^gh1r_/);

    const refresh = (address: string) =>
      tokenRequest({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: client.client_id, client_secret: secret, resource: MCP_RESOURCE }, { "CF-Connecting-IP": address });
    // Sent together (well within a second; the replay window is 30 s).
    const [a, b] = await Promise.all([refresh("160.79.104.11"), refresh("2607:6bc0::10")]);
    const [first, second] = [await tokens(a), await tokens(b)];
    expect(first.refresh_token).toMatch(/^gh1r_/);
    expect(first.refresh_token).not.toBe(refreshToken);
    expect(second.refresh_token).toBe(first.refresh_token);

    expect(await grantOf(refreshToken).checkLive()).toBe(true);
    expect(await toolNames(first.access_token)).toContain("whoami");
    expect(await toolNames(second.access_token)).toContain("whoami");
    // The successor is a normal refresh token: using it rotates again.
    const next = await tokens(
      await tokenRequest({ grant_type: "refresh_token", refresh_token: first.refresh_token ?? "", client_id: client.client_id, client_secret: secret }, { "CF-Connecting-IP": "160.79.104.12" }),
    );
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect(await grantOf(refreshToken).checkLive()).toBe(true);
  });
});

describe("ChatGPT connector", () => {
  // ChatGPT registers by DCR with the redirect https://chatgpt.com/connector_platform_oauth_redirect and sends
  // `resource` at /authorize (community.openai.com/t/oauth-missing-scopes-after-reconnect/1366784, which also shows
  // it omitting `scope` on reconnect). Its `resource` does not always equal the protected resource metadata's
  // string: it may carry the connector URL's query, or a differently cased scheme/host. Gatehouse accepts a resource
  // whose scheme, host (case-insensitively) and path equal PUBLIC_URL/mcp, and the audience is always the canonical
  // resource. ChatGPT may also post the same code twice within a second; the second is refused without revoking
  // what the first got (DESIGN.md "Code redemption": duplicate submission). token_endpoint_auth_method "none" is an
  // assumption (a public PKCE client), not a documented fact.
  const REDIRECT = "https://chatgpt.com/connector_platform_oauth_redirect";
  const registration = { client_name: "ChatGPT", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };

  async function chatgptCode(client: Registered, params: Record<string, string | undefined>) {
    const { verifier, challenge } = await pkce();
    const all: Record<string, string | undefined> = {
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      state: "oauth_s_691b55f5b11481919ddp59nge4998443f",
      scope: "mcp",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: MCP_RESOURCE,
      ...params,
    };
    const defined = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
    const { redirect } = await authorizeAt(authorizeUrlWith(defined));
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT);
    return { code: authorizationResponse(redirect).code, verifier };
  }

  it.each([
    ["a query string", `${MCP_RESOURCE}?foo=bar`],
    ["an upper-case scheme and host", "HTTP://LOCALHOST:8787/mcp"],
  ])("accepts a resource with %s at /authorize and /token, and the token's aud is the canonical resource", async (_name, resource) => {
    const client = await register(registration);
    const { code, verifier } = await chatgptCode(client, { resource });
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource }));
    expect(decodeJwt(issued.access_token).aud).toBe("http://localhost:8787/mcp");
    expect(await toolNames(issued.access_token)).toContain("whoami");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id, resource }));
    expect(decodeJwt(refreshed.access_token).aud).toBe("http://localhost:8787/mcp");
  });

  it("still refuses a resource on another path or host with invalid_target", async () => {
    const client = await register(registration);
    for (const resource of [`${BASE}/other`, "http://localhost:9999/mcp"]) {
      const { challenge } = await pkce();
      const res = await new Browser().fetch(
        authorizeUrlWith({ response_type: "code", client_id: client.client_id, redirect_uri: REDIRECT, state: "s", scope: "mcp", code_challenge: challenge, code_challenge_method: "S256", resource }),
      );
      // Before the person interacted, a registered client's error is a page whose link carries it (RFC 9700 §4.11.2).
      expect(res.status, resource).toBe(400);
      expect(res.headers.get("Location")).toBeNull();
      const href = /<a href="([^"]*)">Return to the application<\/a>/.exec(await res.text())?.[1]?.replace(/&amp;/g, "&") ?? "";
      expect(new URL(href).searchParams.get("error"), resource).toBe("invalid_target");
    }
  });

  it("reconnects without a scope parameter and gets the default scope", async () => {
    const client = await register(registration);
    const { code, verifier } = await chatgptCode(client, { scope: undefined });
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: MCP_RESOURCE }));
    expect(issued.scope).toBe("mcp");
  });

  it("refuses the second of two posts of one code within a second, and the first one's tokens keep working", async () => {
    const client = await register(registration);
    const { code, verifier } = await chatgptCode(client, {});
    const post = () => tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: MCP_RESOURCE });
    // Sent together (well within a second; the duplicate-submission window is 10 s).
    const responses = await Promise.all([post(), post()]);
    const winners = responses.filter((r) => r.status === 200);
    const losers = responses.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(await oauthError(losers[0] as Response)).toBe("invalid_grant");
    const issued = await tokens(winners[0] as Response);

    // And a strictly sequential double post (the response to the first lost, say) behaves the same.
    const again = await post();
    expect(await oauthError(again)).toBe("invalid_grant");

    expect(await grantOf(code).checkLive()).toBe(true);
    expect(await toolNames(issued.access_token)).toContain("whoami");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("Cursor", () => {
  // Cursor registers by DCR with the private-use redirect cursor://anysphere.cursor-mcp/oauth/callback, as a public
  // client (token_endpoint_auth_method "none"), without application_type (different-ai/openwork#3059,
  // paradigmxyz/centaur#1452). Newer builds send three redirect URIs in one registration (erp-mafia/accounted#2225).
  // Gatehouse infers application_type native; the authorization response goes to the cursor:// URI.
  const REDIRECT = "cursor://anysphere.cursor-mcp/oauth/callback";

  it("registers with only cursor:// and no application_type (inferred native), and is sent back to cursor:// with code, state and iss", async () => {
    const client = await register({ client_name: "Cursor", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" });
    expect(client.application_type).toBe("native");
    expect(client.redirect_uris).toEqual([REDIRECT]);

    const { verifier, challenge } = await pkce();
    const { redirect } = await authorizeAt(
      authorizeUrlWith({ response_type: "code", client_id: client.client_id, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: "S256", state: "cursor-state", scope: "mcp", resource: MCP_RESOURCE }),
    );
    expect(redirect.protocol).toBe("cursor:");
    expect(redirect.href.startsWith(`${REDIRECT}?`)).toBe(true);
    expect([...redirect.searchParams.keys()].sort()).toEqual(["code", "iss", "state"]);
    const { code, state, iss } = authorizationResponse(redirect);
    expect(state).toBe("cursor-state");
    expect(iss).toBe(BASE);

    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: MCP_RESOURCE }));
    expect(await toolNames(issued.access_token)).toContain("whoami");
  });

  it("accepts the three-URI registration of newer builds, also inferred native", async () => {
    const client = await register({
      client_name: "Cursor",
      redirect_uris: [REDIRECT, "https://www.cursor.com/agents/mcp/oauth/callback", "http://localhost:8787/callback"],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    });
    expect(client.application_type).toBe("native");
  });
});

describe("VS Code", () => {
  // VS Code (GitHub Copilot's MCP support) reads the authorization server metadata, also at the OpenID Connect
  // discovery location, and registers by DCR as a native public client with its documented loopback redirect on port
  // 33418 plus its vscode.dev redirects; when 33418 is taken it uses another port on the port-less loopback
  // registration (microsoft/vscode#278512 lists the registered redirect_uris; #267545 on 127.0.0.1 loopback).
  it("discovers via /.well-known/openid-configuration, registers native, and completes on 33418 and on another port", async () => {
    const oidc = await exports.default.fetch(`${BASE}/.well-known/openid-configuration`);
    const rfc8414 = await exports.default.fetch(`${BASE}/.well-known/oauth-authorization-server`);
    expect(oidc.status).toBe(200);
    const metadata = (await oidc.json()) as { issuer: string; authorization_endpoint: string; token_endpoint: string; registration_endpoint: string; code_challenge_methods_supported: string[] };
    expect(metadata).toEqual(await rfc8414.json());
    expect(metadata.issuer).toBe(BASE);
    expect(metadata.code_challenge_methods_supported).toContain("S256");

    const client = await register(
      {
        client_name: "Visual Studio Code",
        redirect_uris: ["https://insiders.vscode.dev/redirect", "https://vscode.dev/redirect", "http://127.0.0.1/", "http://127.0.0.1:33418/"],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
        application_type: "native",
      },
      metadata.registration_endpoint,
    );
    expect(client.application_type).toBe("native");

    for (const redirectUri of ["http://127.0.0.1:33418/", "http://127.0.0.1:59656/"]) {
      const { verifier, challenge } = await pkce();
      const { redirect } = await authorizeAt(
        authorizeUrlWith(
          { client_id: client.client_id, response_type: "code", code_challenge: challenge, code_challenge_method: "S256", scope: "mcp", resource: MCP_RESOURCE, redirect_uri: redirectUri, state: "vscode-state" },
          metadata.authorization_endpoint,
        ),
      );
      expect(`${redirect.origin}${redirect.pathname}`).toBe(redirectUri);
      const { code, iss } = authorizationResponse(redirect);
      expect(iss).toBe(metadata.issuer);
      const res = await exports.default.fetch(metadata.token_endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ client_id: client.client_id, grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier, resource: MCP_RESOURCE }),
      });
      const issued = await tokens(res);
      expect(await toolNames(issued.access_token)).toContain("whoami");
    }
  });
});

describe("Codex CLI", () => {
  // Codex's local callback listener reads only `code` and `state` and drops `iss` (openai/codex#33354, #31573:
  // perform_oauth_login.rs matches "code" and "state", everything else hits `_ => {}`). Behavioural fixture: the
  // client does nothing with iss, and Gatehouse must not depend on it being echoed or checked anywhere.
  it("completes the flow taking only code and state from the callback", async () => {
    const redirectUri = "http://127.0.0.1:1455/callback";
    const client = await register({ client_name: "Codex", redirect_uris: [redirectUri], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" });
    const { verifier, challenge } = await pkce();
    const csrf = "codex-csrf-state";
    const { redirect } = await authorizeAt(
      authorizeUrlWith({ response_type: "code", client_id: client.client_id, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", state: csrf, scope: "mcp", resource: MCP_RESOURCE }),
    );
    // What Codex's listener keeps: code and state, nothing else.
    let code: string | undefined;
    let state: string | undefined;
    for (const [key, value] of redirect.searchParams) {
      if (key === "code") code = value;
      else if (key === "state") state = value;
    }
    expect(state).toBe(csrf);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code: code ?? "", code_verifier: verifier, redirect_uri: redirectUri, client_id: client.client_id, resource: MCP_RESOURCE }));
    expect(await toolNames(issued.access_token)).toContain("whoami");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id, resource: MCP_RESOURCE }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

/**
 * The origins of the metadata documents a profile's client publishes: each URL serves its document, and any other
 * outbound fetch fails the test. Returns the URLs fetched, in order.
 */
function publishDocuments(documents: Record<string, Record<string, unknown>>): string[] {
  const seen: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    seen.push(request.url);
    const document = documents[request.url];
    if (!document) throw new Error(`unexpected outbound fetch to ${request.url}`);
    return new Response(JSON.stringify(document), { headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=3600" } });
  });
  return seen;
}

/** An authorization request's parameters for a PKCE S256 client, with `params` added (`undefined` leaves one out). */
async function codeRequest(clientId: string, redirectUri: string, params: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = await pkce();
  const all: Record<string, string | undefined> = { response_type: "code", client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: "S256", state: "profile-state", ...params };
  const query = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
  return { verifier, url: authorizeUrlWith(query) };
}

/** The AS metadata as a client reads it. */
async function asMetadata(): Promise<Record<string, unknown>> {
  const res = await exports.default.fetch(`${BASE}/.well-known/oauth-authorization-server`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("claude.ai / Claude Desktop (Client ID Metadata Document)", () => {
  // claude.ai identifies itself by the document https://claude.ai/oauth/mcp-oauth-client-metadata with the redirect
  // https://claude.ai/api/mcp/auth_callback, and uses it only when the AS metadata advertises both
  // client_id_metadata_document_supported and the `none` auth method (issue 19's client table). It sends
  // `scope= offline_access` with a leading space (anthropics/claude-ai-mcp#453), prompt=consent and `resource`.
  // Gatehouse grants the default scopes with offline_access (src/policy/scope.ts `narrowScope`).
  const CLIENT_ID = "https://claude.ai/oauth/mcp-oauth-client-metadata";
  const REDIRECT = "https://claude.ai/api/mcp/auth_callback";
  const DOCUMENT = { client_id: CLIENT_ID, client_name: "Claude", client_uri: "https://claude.ai", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" };

  it("finds CIMD and none advertised, signs in with scope ' offline_access', gets the default scope with a refresh token, refreshes, calls /mcp", async () => {
    const metadata = await asMetadata();
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    expect(metadata.token_endpoint_auth_methods_supported).toContain("none");
    const seen = publishDocuments({ [CLIENT_ID]: DOCUMENT });
    const { verifier, url } = await codeRequest(CLIENT_ID, REDIRECT, { scope: " offline_access", prompt: "consent", resource: MCP_RESOURCE });
    const { consent, redirect } = await authorizeAt(url);
    expect(seen).toEqual([CLIENT_ID]);
    expect(consent).toContain("Claude");
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT);
    const { code, iss } = authorizationResponse(redirect);
    expect(iss).toBe(BASE);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(issued).toMatchObject({ scope: "mcp", refresh_token: expect.stringMatching(/^gh1r_/) });
    expect(await toolNames(issued.access_token)).toContain("whoami");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("claude.ai with a pre-registered confidential client", () => {
  // A connector configured with a client id and secret in claude.ai's advanced settings always authenticates with
  // client_secret_post, whatever the client was registered with (issue 19's client table). Gatehouse accepts either
  // secret method for a confidential client (src/policy/client-rules.ts `acceptsAuthMethod`).
  const REDIRECT = "https://claude.ai/api/mcp/auth_callback";
  const SECRET = "claude-pre-registered-secret-0123456789abcdef";

  it("registered for client_secret_basic, posts its secret at /token and at refresh, and calls /mcp", async () => {
    const clientId = `claude-static-${crypto.randomUUID()}`;
    await clientInsert(env.DB, {
      clientId,
      kind: "static",
      clientSecretHash: await sha256(SECRET),
      clientName: "Claude (pre-registered)",
      redirectUris: [REDIRECT],
      grantTypes: ["authorization_code", "refresh_token"],
      tokenEndpointAuthMethod: "client_secret_basic",
      applicationType: "web",
      metadata: {},
      createdAt: 0,
    }).run();
    const { verifier, url } = await codeRequest(clientId, REDIRECT, { scope: "mcp offline_access", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId, client_secret: SECRET, resource: MCP_RESOURCE }));
    expect(await toolNames(issued.access_token)).toContain("whoami");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: clientId, client_secret: SECRET }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
    // The secret still decides: a wrong one in the body is refused.
    expect(await oauthError(await tokenRequest({ grant_type: "refresh_token", refresh_token: refreshed.refresh_token ?? "", client_id: clientId, client_secret: "wrong" }))).toBe("invalid_client");
  });
});

describe("Claude Code (DCR with a narrow registered scope)", () => {
  // Claude Code registers by DCR with the scope it saw first and later asks /authorize for the scope the server's
  // challenge or protected resource metadata names (anthropics/claude-code#4540, quoted in
  // basicmachines-co/basic-memory#1283; issue 19). Gatehouse bounds /authorize by SCOPES and consent, not by the
  // registered `scope` (src/policy/scope.ts).
  const target = { ...env, SCOPES: "mcp files:read" } as Env;
  const REDIRECT = "http://localhost:61234/callback";

  it("registers scope 'mcp', asks for 'mcp files:read offline_access', and gets all three", async () => {
    const res = await workerFetch(target)(`${BASE}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "Claude Code (mcp)", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none", scope: "mcp" }),
    });
    expect(res.status).toBe(201);
    const client = (await res.json()) as Registered;
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp files:read offline_access", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url, { browser: new Browser(target) })).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: MCP_RESOURCE }, {}, target));
    expect(issued.scope).toBe("mcp files:read");
    expect(await toolNames(issued.access_token, target)).toContain("whoami");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id }, {}, target));
    expect(refreshed.scope).toBe("mcp files:read");
    expect(await toolNames(refreshed.access_token, target)).toContain("whoami");
  });
});

describe("ChatGPT (per-connector Client ID Metadata Document)", () => {
  // ChatGPT publishes one document per connector, https://chatgpt.com/oauth/<id>/client.json, with the redirect
  // https://chatgpt.com/connector/oauth/<id>, and sends `resource` (issue 19's client table).
  const CONNECTOR = "c_6a1f0e5b2d";
  const CLIENT_ID = `https://chatgpt.com/oauth/${CONNECTOR}/client.json`;
  const REDIRECT = `https://chatgpt.com/connector/oauth/${CONNECTOR}`;

  it("signs in with its connector's document, redeems with resource, refreshes and calls /mcp", async () => {
    publishDocuments({ [CLIENT_ID]: { client_id: CLIENT_ID, client_name: "ChatGPT", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "none" } });
    const { verifier, url } = await codeRequest(CLIENT_ID, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
    const { redirect } = await authorizeAt(url);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(REDIRECT);
    const { code } = authorizationResponse(redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(decodeJwt(issued.access_token)).toMatchObject({ aud: MCP_RESOURCE, client_id: CLIENT_ID });
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("Codex CLI ≥ 0.150", () => {
  // Codex refuses an authorization server whose authorization endpoint's origin differs from the issuer's unless
  // `iss` is advertised (authorization_response_iss_parameter_supported) and sent on the redirect; its refresh
  // request omits `resource`; several Codex processes share one credential store and present stale refresh-token
  // generations (issue 19's client table). A stale generation within REFRESH_REPLAY_WINDOW gets the same successor;
  // later it is reuse (RFC 9700 §4.14.2): the grant is revoked and the answer is invalid_grant, so Codex signs in anew.
  const REDIRECT = "http://127.0.0.1:1455/auth/callback";

  async function codexSignIn(target?: Env) {
    const send = workerFetch(target);
    const res = await send(`${BASE}/register`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_name: "Codex", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none", software_id: crypto.randomUUID() }),
    });
    const client = (await res.json()) as Registered;
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp offline_access", resource: MCP_RESOURCE });
    const { redirect } = await authorizeAt(url, { browser: new Browser(target) });
    const { code, iss } = authorizationResponse(redirect);
    expect(iss).toBe(BASE);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: MCP_RESOURCE }, {}, target));
    return { client, issued };
  }

  it("finds iss advertised and sent, refreshes without resource, and two processes with one stale generation converge", async () => {
    const metadata = await asMetadata();
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(new URL(String(metadata.authorization_endpoint)).origin).toBe(new URL(String(metadata.issuer)).origin);
    const { client, issued } = await codexSignIn();
    const refresh = (token: string) => tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: client.client_id });
    // Process A rotates; process B still holds the generation A just used.
    const a = await tokens(await refresh(issued.refresh_token ?? ""));
    const b = await tokens(await refresh(issued.refresh_token ?? ""));
    expect(b.refresh_token).toBe(a.refresh_token);
    expect(decodeJwt(b.access_token).aud).toBe(MCP_RESOURCE);
    expect(await toolNames(b.access_token)).toContain("whoami");
    expect(await grantOf(issued.refresh_token ?? "").checkLive()).toBe(true);
  });

  it("answers a stale generation past the replay window with invalid_grant, and signing in again works", async () => {
    const strict = { ...env, REFRESH_REPLAY_WINDOW: "0" } as Env;
    const { client, issued } = await codexSignIn(strict);
    const refresh = (token: string) => tokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: client.client_id }, {}, strict);
    await tokens(await refresh(issued.refresh_token ?? ""));
    expect(await oauthError(await refresh(issued.refresh_token ?? ""))).toBe("invalid_grant");
    expect(await grantOf(issued.refresh_token ?? "").checkLive()).toBe(false);
    const again = await codexSignIn(strict);
    expect(await toolNames(again.issued.access_token, strict)).toContain("whoami");
  });
});

describe("Cursor (path-suffixed protected resource metadata first)", () => {
  // Cursor probes /.well-known/oauth-protected-resource/mcp before the root location, registers by DCR with
  // cursor://anysphere.cursor-mcp/oauth/callback and token_endpoint_auth_method none (issue 19's client table).
  const REDIRECT = "cursor://anysphere.cursor-mcp/oauth/callback";

  it("reads the path-suffixed metadata, registers, signs in, refreshes and calls /mcp", async () => {
    const prm = await exports.default.fetch(`${BASE}/.well-known/oauth-protected-resource/mcp`);
    expect(prm.status).toBe(200);
    const resource = (await prm.json()) as { resource: string; authorization_servers: string[] };
    expect(resource).toMatchObject({ resource: MCP_RESOURCE, authorization_servers: [BASE] });
    const client = await register({ client_name: "Cursor", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" });
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp", resource: resource.resource });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: resource.resource }));
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id, resource: resource.resource }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("VS Code agent host (the issuer's origin as resource)", () => {
  // VS Code's agent host may fall back to the authorization server's origin as `resource` (issue 19's client table).
  // With exactly one protected resource, Gatehouse maps it to that resource (src/policy/resource.ts); with several it
  // stays invalid_target.
  const REDIRECT = "http://127.0.0.1:33418/";

  it("sends resource = the issuer at /authorize, /token and refresh, and the token's aud is /mcp", async () => {
    const client = await register({ client_name: "Visual Studio Code", redirect_uris: ["http://127.0.0.1/", REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none", application_type: "native" });
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp", resource: `${BASE}/` });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: BASE }));
    expect(decodeJwt(issued.access_token).aud).toBe(MCP_RESOURCE);
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id, resource: BASE }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("Gemini CLI (metadata scopes, exact resource)", () => {
  // Gemini CLI requires the protected resource metadata's `resource` to equal the MCP URL it was configured with,
  // character for character, and asks for the metadata's scopes_supported rather than configured ones (issue 19's
  // client table).
  const target = { ...env, SCOPES: "mcp files:read" } as Env;
  const REDIRECT = "http://localhost:7777/oauth/callback";

  it("checks resource === the configured URL, asks for scopes_supported, signs in, refreshes and calls /mcp", async () => {
    const configured = `${BASE}/mcp`;
    const prm = (await (await workerFetch(target)(`${BASE}/.well-known/oauth-protected-resource/mcp`, {})).json()) as { resource: string; scopes_supported: string[] };
    expect(prm.resource).toBe(configured);
    const client = (await (
      await workerFetch(target)(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ client_name: "Gemini CLI MCP Client", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" }) })
    ).json()) as Registered;
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: prm.scopes_supported.join(" "), resource: prm.resource });
    const { code } = authorizationResponse((await authorizeAt(url, { browser: new Browser(target) })).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id, resource: prm.resource }, {}, target));
    expect(issued.scope).toBe("mcp files:read");
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id, resource: prm.resource }, {}, target));
    expect(await toolNames(refreshed.access_token, target)).toContain("whoami");
  });
});

describe("Zed", () => {
  // Zed publishes a Client ID Metadata Document at zed.dev whose redirect is a fixed loopback port, 27523; when it
  // registers by DCR instead, its grant_types lack refresh_token (issue 19's client table). A self-registered client
  // with authorization_code is served refresh_token too (src/policy/client-rules.ts `servedGrantTypes`).
  const REDIRECT = "http://127.0.0.1:27523/oauth/callback";

  it("signs in by its document on port 27523, gets a refresh token, refreshes and calls /mcp", async () => {
    const clientId = "https://zed.dev/oauth/client-metadata.json";
    publishDocuments({ [clientId]: { client_id: clientId, client_name: "Zed", client_uri: "https://zed.dev", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" } });
    const { verifier, url } = await codeRequest(clientId, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: clientId }));
    expect(issued.refresh_token).toMatch(/^gh1r_/);
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: clientId }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });

  it("registers by DCR with grant_types [authorization_code] and is still given and served a refresh token", async () => {
    const client = await register({ client_name: "Zed", redirect_uris: [REDIRECT], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" });
    // The registration response says what is served (RFC 7591 §3.2.1 lets the server replace requested values).
    expect((client as Registered & { grant_types: string[] }).grant_types).toEqual(["authorization_code", "refresh_token"]);
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id }));
    expect(issued.refresh_token).toMatch(/^gh1r_/);
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("Goose (CIMD first; needs a refresh token)", () => {
  // Goose tries its Client ID Metadata Document (goose-docs.ai/oauth/client-metadata.json) before DCR and discards
  // an access token that comes without a refresh token (issue 19's client table): its document lists no grant_types,
  // and it asks without offline_access, yet it gets a refresh token.
  const CLIENT_ID = "https://goose-docs.ai/oauth/client-metadata.json";
  const REDIRECT = "http://localhost:61980/oauth_callback";

  it("signs in by its document, gets a refresh token without asking for offline_access, refreshes and calls /mcp", async () => {
    publishDocuments({ [CLIENT_ID]: { client_id: CLIENT_ID, client_name: "goose", redirect_uris: ["http://localhost/oauth_callback"], token_endpoint_auth_method: "none" } });
    const { verifier, url } = await codeRequest(CLIENT_ID, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(issued.refresh_token).toMatch(/^gh1r_/);
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: CLIENT_ID, resource: MCP_RESOURCE }));
    expect(refreshed.refresh_token).toMatch(/^gh1r_/);
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("Warp (no resource parameter)", () => {
  // Warp omits `resource` at /authorize and /token (issue 19's client table): the tokens are bound to /mcp.
  const REDIRECT = "http://127.0.0.1:52718/oauth/callback";

  it("signs in, redeems and refreshes without resource, and the token's aud is /mcp", async () => {
    const client = await register({ client_name: "Warp", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" });
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp" });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id }));
    expect(decodeJwt(issued.access_token).aud).toBe(MCP_RESOURCE);
    const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id }));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("MCP SDK clients (refresh errors)", () => {
  // The TypeScript MCP SDK's auth() restarts sign-in when a refresh fails with InvalidGrantError and throws on any
  // other error, invalid_target included (issue 19's client table; @modelcontextprotocol/sdk client/auth.js). A
  // refresh token that can never serve the resource asked for is therefore invalid_grant (src/oauth/grants/refresh-token.ts).
  it("gets InvalidGrantError from the SDK's own refreshAuthorization for a refresh bound to another resource", async () => {
    const REDIRECT = "http://localhost:3999/callback";
    const client = await register({ client_name: "MCP SDK client", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" });
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url)).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id }));
    const metadata = await asMetadata();
    const refreshWith = (resource: URL) =>
      refreshAuthorization(BASE, {
        metadata: metadata as never,
        clientInformation: { client_id: client.client_id },
        refreshToken: issued.refresh_token ?? "",
        resource,
        fetchFn: (input, init) => exports.default.fetch(input instanceof Request ? input : String(input), init),
      });
    await expect(refreshWith(new URL("https://elsewhere.example/mcp"))).rejects.toBeInstanceOf(InvalidGrantError);
    const refreshed = await refreshWith(new URL(MCP_RESOURCE));
    expect(await toolNames(refreshed.access_token)).toContain("whoami");
  });
});

describe("claude.ai, Claude Enterprise and Cowork (never refresh): CLIENT_POLICIES", () => {
  // These hosted clients often never use their refresh token and show "Connection expired" once the access token
  // lapses (issue 19's client table). CLIENT_POLICIES gives the clients Gatehouse can identify a longer access-token
  // lifetime (up to 30 days); every /mcp request still asks the grant once its cached answer is LIVENESS_CACHE_TTL
  // old, so a revocation reaches such a token within that bound (README "Token lifetimes per client").
  const CLIENT_ID = "https://claude.ai/oauth/mcp-oauth-client-metadata";
  const REDIRECT = "https://claude.ai/api/mcp/auth_callback";
  const MONTH = 30 * 86_400;
  const policies = JSON.stringify([
    { cimd_host: "claude.ai", access_token_ttl: MONTH },
    { client_name: "Cowork*", access_token_ttl: 7 * 86_400 },
  ]);
  const target = { ...env, CLIENT_POLICIES: policies } as Env;
  const uncached = { ...env, CLIENT_POLICIES: policies, LIVENESS_CACHE_TTL: "0" } as Env;

  async function claudeSignIn(on: Env) {
    publishDocuments({ [CLIENT_ID]: { client_id: CLIENT_ID, client_name: "Claude", redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], token_endpoint_auth_method: "none" } });
    const { verifier, url } = await codeRequest(CLIENT_ID, REDIRECT, { scope: " offline_access", prompt: "consent", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url, { browser: new Browser(on) })).redirect);
    return tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT_ID, resource: MCP_RESOURCE }, {}, on));
  }

  it("gives claude.ai's document a 30-day access token that works at /mcp without any refresh", async () => {
    const issued = await claudeSignIn(target);
    expect(issued.expires_in).toBe(MONTH);
    const claims = decodeJwt(issued.access_token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(MONTH);
    expect(await toolNames(issued.access_token, target)).toContain("whoami");
  });

  it("still refuses the long-lived token at /mcp once the grant is revoked elsewhere (liveness asked, not cached)", async () => {
    const issued = await claudeSignIn(uncached);
    expect(await toolNames(issued.access_token, uncached)).toContain("whoami");
    // Revoked in the grant's own object, as another isolate (the admin API, /account) would: this isolate is not told.
    await grantOf(issued.refresh_token ?? "").revoke("revoked by an administrator");
    const res = await mcp(issued.access_token, "tools/list", undefined, uncached);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("asks the grant again once the cached answer is older than LIVENESS_CACHE_TTL", async () => {
    const issued = await claudeSignIn(target);
    const grantId = String(decodeJwt(issued.access_token).sid);
    expect(await isGrantLive(env, grantId, 30)).toBe(true);
    await grantOf(issued.refresh_token ?? "").revoke("revoked by an administrator");
    // Within the bound this isolate may still answer from its cache; one second past it, the grant is asked.
    expect(await isGrantLive(env, grantId, 30, Date.now() + 31_000)).toBe(false);
  });

  it("gives a DCR client named Cowork… 7 days, and anyone unmatched ACCESS_TOKEN_TTL", async () => {
    const send = workerFetch(target);
    const registerAs = async (name: string) =>
      (await (await send(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ client_name: name, redirect_uris: [REDIRECT], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], token_endpoint_auth_method: "none" }) })).json()) as Registered;
    for (const [name, ttl] of [["Cowork", 7 * 86_400], ["Some other client", 3600]] as const) {
      const client = await registerAs(name);
      const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
      const { code } = authorizationResponse((await authorizeAt(url, { browser: new Browser(target) })).redirect);
      const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id }, {}, target));
      expect(issued.expires_in, name).toBe(ttl);
      const refreshed = await tokens(await tokenRequest({ grant_type: "refresh_token", refresh_token: issued.refresh_token ?? "", client_id: client.client_id }, {}, target));
      expect(refreshed.expires_in, name).toBe(ttl);
      expect(await toolNames(refreshed.access_token, target)).toContain("whoami");
    }
  });
});

describe("structured denials at /mcp", () => {
  // Every denial at /mcp says what would let the request through: the challenge names the protected resource's
  // metadata and the scope needed (RFC 6750 §3, RFC 9728 §5.1), and insufficient_scope names the missing one in its
  // description. SEP-2643 (modelcontextprotocol/modelcontextprotocol#2643, structured denials with
  // authorization_details) is still a draft no client implements, so nothing beyond RFC 6750 is sent.
  const target = { ...env, SCOPES: "mcp files:read" } as Env;
  const REDIRECT = "http://127.0.0.1:40404/callback";
  const METADATA = `resource_metadata="${BASE}/.well-known/oauth-protected-resource/mcp"`;

  it("names the scope in the challenge without a token, with a bad token, and with a token lacking a scope", async () => {
    const send = workerFetch(target);
    const call = (headers: Record<string, string>) => send(`${BASE}/mcp`, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    const none = await call({});
    expect(none.status).toBe(401);
    expect(none.headers.get("WWW-Authenticate")).toBe(`Bearer ${METADATA}, scope="mcp files:read"`);
    const bad = await call({ Authorization: "Bearer not.a.token" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("WWW-Authenticate")).toContain(`${METADATA}, scope="mcp files:read", error="invalid_token"`);

    const client = (await (await send(`${BASE}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ client_name: "Narrow", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }) })).json()) as Registered;
    const { verifier, url } = await codeRequest(client.client_id, REDIRECT, { scope: "mcp", resource: MCP_RESOURCE });
    const { code } = authorizationResponse((await authorizeAt(url, { browser: new Browser(target) })).redirect);
    const issued = await tokens(await tokenRequest({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.client_id }, {}, target));
    const narrow = await call({ Authorization: `Bearer ${issued.access_token}` });
    expect(narrow.status).toBe(403);
    expect(narrow.headers.get("WWW-Authenticate")).toBe(`Bearer ${METADATA}, scope="mcp files:read", error="insufficient_scope", error_description="the access token lacks the scope files:read"`);
  });
});
