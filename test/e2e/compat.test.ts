// mcp-remote (the stdio ↔ remote MCP proxy Claude Desktop, Cursor and Windsurf configs run as `npx mcp-remote <url>`)
// against `wrangler dev` with the development IdP: first a fixture of exactly what mcp-remote 0.15.1 sends, then the
// real proxy (a pinned devDependency) driven over stdio by the MCP SDK client, whose "browser" is
// test/e2e/open-browser.mjs. The behaviour reproduced comes from mcp-remote's README and its dist/chunk-*.js:
// - DCR body: redirect_uris [http://localhost:<port>/oauth/callback] (port given as the 2nd argument, else derived
//   from the URL), token_endpoint_auth_method picked from the AS metadata ("none" first), grant_types
//   authorization_code + refresh_token, application_type native, client_name "MCP CLI Proxy", client_uri/software_id
//   of mcp-cli, scope from the WWW-Authenticate challenge plus offline_access; /authorize adds prompt=consent;
// - it opens the browser with the `open` package, whose bundled xdg-open runs `$BROWSER <url>` without a desktop;
// - it reads `iss` on its callback (punkpeye/mcp-remote#359) and stores client_info.json and tokens.json under
//   $MCP_REMOTE_CONFIG_DIR/mcp-remote-v1 (default ~/.mcp-auth), reusing them on the next run.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import { calculatePKCECodeChallenge, generateRandomCodeVerifier } from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HeadlessBrowser } from "../support/browser";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";

const PORT = 8871;
const CALLBACK_PORT = 8879;
const CALLBACK = `http://localhost:${CALLBACK_PORT}/oauth/callback`;
const EMAIL = "hedy@lamarr.example";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PROXY = join(ROOT, "node_modules/mcp-remote/dist/proxy.js");
const BROWSER_SCRIPT = fileURLToPath(new URL("./open-browser.mjs", import.meta.url));
const MCP_REMOTE_VERSION = (JSON.parse(readFileSync(join(ROOT, "node_modules/mcp-remote/package.json"), "utf8")) as { version: string }).version;

interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
}

interface Run {
  tools: string[];
  whoami: Record<string, unknown> | undefined;
  stderr: string;
}

describe("mcp-remote against wrangler dev with the development IdP", () => {
  let server: Gatehouse;
  let home: string;
  let configDir: string;
  let browserLog: string;
  let authorizationUrl: URL | undefined;

  /** One mcp-remote process as an MCP host runs it: spawned over stdio, initialize, tools/list, whoami, close. */
  const runMcpRemote = async (): Promise<Run> => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY, `${server.url}/mcp`, String(CALLBACK_PORT)],
      // The SDK adds only HOME, PATH, SHELL, TERM, USER and LOGNAME of this process: no DISPLAY, so xdg-open uses $BROWSER.
      env: {
        HOME: home,
        MCP_REMOTE_CONFIG_DIR: configDir,
        BROWSER: `${process.execPath} ${BROWSER_SCRIPT}`,
        GATEHOUSE_E2E_EMAIL: EMAIL,
        GATEHOUSE_E2E_NAME: "Hedy Lamarr",
        GATEHOUSE_E2E_CALLBACK: CALLBACK,
        GATEHOUSE_E2E_BROWSER_LOG: browserLog,
      },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d) => (stderr += d));
    const client = new Client({ name: "gatehouse-compat-e2e", version: "1.0.0" });
    try {
      // The proxy signs in before it answers initialize: allow the whole browser dance.
      await client.connect(transport, { timeout: 45_000 });
      const { tools } = await client.listTools();
      const call = await client.callTool({ name: "whoami", arguments: {} });
      return { tools: tools.map((t) => t.name), whoami: call.structuredContent as Record<string, unknown> | undefined, stderr };
    } catch (error) {
      throw new Error(`mcp-remote failed: ${error instanceof Error ? error.message : String(error)}\nstderr:\n${stderr.slice(-4000)}\nbrowser: ${JSON.stringify(browserRuns())}`);
    } finally {
      await client.close();
    }
  };

  const browserRuns = (): Array<Record<string, unknown>> =>
    existsSync(browserLog) ? readFileSync(browserLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  /** wrangler dev's request lines (`POST /token 200`) printed since `offset` into its output. */
  const requestsSince = (offset: number) =>
    [...server.logs().slice(offset).matchAll(/\[wrangler:info\] (GET|POST|DELETE|PUT|OPTIONS) (\S+) (\d{3})/g)].map((m) => `${m[1]} ${m[2]?.split("?")[0]} ${m[3]}`);
  /** A file mcp-remote keeps in its store (`<server hash>_<name>`). */
  const storePath = (name: string): string => {
    const dir = join(configDir, "mcp-remote-v1");
    const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith(`_${name}`)) : undefined;
    if (!file) throw new Error(`mcp-remote stored no ${name} in ${dir}: ${existsSync(dir) ? readdirSync(dir).join(", ") : "(missing)"}`);
    return join(dir, file);
  };
  const stored = <T>(name: string): T => JSON.parse(readFileSync(storePath(name), "utf8")) as T;

  /**
   * The registration body mcp-remote 0.15.1 sends to Gatehouse (clientMetadata and the bundled SDK's
   * resolveClientMetadata in its dist); scope is the challenge's `mcp` plus offline_access, which the SDK adds when the
   * AS lists it in scopes_supported (and then sends prompt=consent).
   */
  const mcpRemoteRegistration = () => ({
    redirect_uris: [CALLBACK],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    client_name: "MCP CLI Proxy",
    client_uri: "https://github.com/modelcontextprotocol/mcp-cli",
    software_id: "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d",
    software_version: MCP_REMOTE_VERSION,
    scope: "mcp offline_access",
    // Added by the MCP SDK bundled in mcp-remote (deriveApplicationType: a loopback redirect means native).
    application_type: "native",
  });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "gatehouse-mcp-remote-"));
    configDir = join(home, ".mcp-auth");
    browserLog = join(home, "browser.log");
    server = await startGatehouse(PORT);
  });

  afterAll(async () => {
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("profile: mcp-remote's registration, authorization request and token request are served", async () => {
    const reg = await fetch(`${server.url}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(mcpRemoteRegistration()) });
    expect(reg.status).toBe(201);
    const client = (await reg.json()) as { client_id: string; redirect_uris: string[]; token_endpoint_auth_method: string };
    expect(client).toMatchObject({ redirect_uris: [CALLBACK], token_endpoint_auth_method: "none", client_name: "MCP CLI Proxy", application_type: "native" });

    const verifier = generateRandomCodeVerifier();
    const url = new URL(`${server.url}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: "code",
      client_id: client.client_id,
      code_challenge: await calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      redirect_uri: CALLBACK,
      state: crypto.randomUUID(),
      scope: "mcp offline_access",
      prompt: "consent",
      resource: `${server.url}/mcp`,
    })) {
      url.searchParams.set(k, v);
    }
    const browser = new HeadlessBrowser();
    // Nothing listens on the callback here: the browser stops at the redirect, as the real listener would receive it.
    const final = await browser.authorize(url, { fill: { email: EMAIL }, choose: ["decision=approve", "action=login"], stopAt: (u) => `${u.origin}${u.pathname}` === CALLBACK });
    expect(final.searchParams.get("iss")).toBe(server.url);
    const token = await fetch(`${server.url}/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: final.searchParams.get("code") ?? "", code_verifier: verifier, redirect_uri: CALLBACK, client_id: client.client_id, resource: `${server.url}/mcp` }),
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { refresh_token?: string }).refresh_token).toMatch(/^gh1r_/);
  });

  it("real mcp-remote: signs in through $BROWSER on its loopback callback, lists whoami, and stores the tokens", async () => {
    const offset = server.logs().length;
    const run = await runMcpRemote();
    expect(run.tools).toContain("whoami");
    expect(run.whoami).toMatchObject({ authenticated: true, email: EMAIL });

    // The authorization request it printed (and opened).
    const printed = /Please authorize this client by visiting:\s+(\S+)/.exec(run.stderr)?.[1];
    expect(printed, run.stderr.slice(-2000)).toBeDefined();
    authorizationUrl = new URL(printed ?? "");
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${server.url}/authorize`);
    expect(authorizationUrl.searchParams.get("redirect_uri")).toBe(CALLBACK);
    expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizationUrl.searchParams.get("resource")).toBe(`${server.url}/mcp`);
    // The SDK under mcp-remote adds offline_access when the AS lists it in scopes_supported.
    expect(authorizationUrl.searchParams.get("scope")).toBe("mcp offline_access");

    // The browser went consent → dev IdP → /callback → mcp-remote's listener, carrying iss.
    expect(browserRuns()).toHaveLength(1);
    expect(browserRuns()[0]).toMatchObject({ ok: true, callback: { url: CALLBACK, iss: server.url, hasCode: true, hasState: true, error: null } });

    const requests = requestsSince(offset);
    expect(requests).toEqual(expect.arrayContaining(["POST /register 201", "GET /authorize 200", "GET /callback 302", "POST /token 200", "POST /mcp 200"]));

    // What it stored: the registration Gatehouse returned (the profile's body) and a refresh token.
    const info = stored<Record<string, unknown>>("client_info.json");
    expect(info.client_id).toBe(authorizationUrl.searchParams.get("client_id"));
    expect(info).toMatchObject(mcpRemoteRegistration());
    expect(authorizationUrl.searchParams.get("prompt")).toBe("consent");
    const tokens = stored<StoredTokens>("tokens.json");
    expect(tokens.refresh_token).toMatch(/^gh1r_/);
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
  });

  it("a second run reuses the stored tokens: no browser, no registration, no sign-in", async () => {
    expect(authorizationUrl).toBeDefined();
    const before = stored<StoredTokens>("tokens.json");
    const offset = server.logs().length;
    const run = await runMcpRemote();
    expect(run.tools).toContain("whoami");
    expect(run.whoami).toMatchObject({ email: EMAIL });
    expect(browserRuns()).toHaveLength(1);
    const requests = requestsSince(offset);
    expect(requests.filter((r) => /\/(authorize|register|callback|dev-idp)\b/.test(r))).toEqual([]);
    expect(requests).toContain("POST /mcp 200");
    expect(stored<StoredTokens>("tokens.json").access_token).toBe(before.access_token);
  });

  it("a run whose stored access token is refused refreshes it (rotation) without the browser", async () => {
    const before = stored<StoredTokens>("tokens.json");
    writeFileSync(storePath("tokens.json"), JSON.stringify({ ...stored<Record<string, unknown>>("tokens.json"), access_token: "not-a-jwt.garbage.token" }));
    const offset = server.logs().length;
    const run = await runMcpRemote();
    expect(run.tools).toContain("whoami");
    expect(browserRuns()).toHaveLength(1);
    const requests = requestsSince(offset);
    expect(requests).toEqual(expect.arrayContaining(["POST /mcp 401", "POST /token 200", "POST /mcp 200"]));
    expect(requests.filter((r) => /\/(authorize|register|callback)\b/.test(r))).toEqual([]);
    const after = stored<StoredTokens>("tokens.json");
    expect(after.refresh_token).toMatch(/^gh1r_/);
    expect(after.refresh_token).not.toBe(before.refresh_token);
  });
});

describe("issue 19 profiles and enterprise-managed authorization against wrangler dev", () => {
  // The profiles of test/worker/compat.test.ts that need no https document host, over real HTTP (sources there and
  // in README "What each client needs"), and an enterprise IdP as a real Node server publishing discovery and a JWKS:
  // ID-JAGs it signs are redeemed by a confidential client, one winner of 50 concurrent presentations.
  const GATEHOUSE_PORT = 9201;
  const IDP_PORT = 9202;
  const IDP = `http://127.0.0.1:${IDP_PORT}`;
  const CLIENT = "claude-enterprise";
  const SECRET = "enterprise-client-secret-0123456789abcdef";
  const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  let server: Gatehouse;
  let idp: Server | undefined;
  let signingKey: CryptoKey;
  const idpRequests: string[] = [];

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "idp-e2e", alg: "ES256", use: "sig" };
    const listening = createServer((req, res) => {
      idpRequests.push(req.url ?? "");
      const body =
        req.url === "/.well-known/openid-configuration"
          ? { issuer: IDP, jwks_uri: `${IDP}/keys`, authorization_endpoint: `${IDP}/authorize`, token_endpoint: `${IDP}/token`, response_types_supported: ["code"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["ES256"] }
          : req.url === "/keys"
            ? { keys: [jwk] }
            : undefined;
      res.writeHead(body ? 200 : 404, { "Content-Type": "application/json", Connection: "close" });
      res.end(JSON.stringify(body ?? { error: "not_found" }));
    });
    idp = listening;
    await new Promise<void>((resolve) => listening.listen(IDP_PORT, "127.0.0.1", resolve));
    server = await startGatehouse(GATEHOUSE_PORT, {
      STATIC_CLIENTS: JSON.stringify([{ client_id: CLIENT, client_name: "Claude Enterprise", redirect_uris: ["https://claude.ai/api/mcp/auth_callback"], token_endpoint_auth_method: "client_secret_basic", client_secret: SECRET }]),
      TRUSTED_ENTERPRISE_IDPS: JSON.stringify([{ issuer: IDP, name: "Acme", clients: [CLIENT], trust_email: true }]),
    });
  });

  afterAll(async () => {
    await server?.stop();
    const listening = idp;
    if (listening) await new Promise<void>((resolve) => listening.close(() => resolve()));
  });

  async function register(body: Record<string, unknown>): Promise<{ client_id: string }> {
    const res = await fetch(`${server.url}/register`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return (await res.json()) as { client_id: string };
  }

  /** The browser leg for `clientId` with `params`; the code and the verifier. */
  async function code(clientId: string, redirectUri: string, params: Record<string, string | undefined>) {
    const verifier = generateRandomCodeVerifier();
    const url = new URL(`${server.url}/authorize`);
    const all: Record<string, string | undefined> = { response_type: "code", client_id: clientId, redirect_uri: redirectUri, code_challenge: await calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state: crypto.randomUUID(), ...params };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
    const final = await new HeadlessBrowser().authorize(url, { fill: { email: EMAIL }, choose: ["decision=approve", "action=login"], stopAt: (u) => `${u.origin}${u.pathname}` === redirectUri });
    expect(final.searchParams.get("iss")).toBe(server.url);
    return { code: final.searchParams.get("code") ?? "", verifier };
  }

  function token(form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${server.url}/token`, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(form) });
  }

  async function toolsStatus(accessToken: string): Promise<number> {
    const res = await fetch(`${server.url}/mcp`, { method: "POST", headers: { Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    await res.body?.cancel();
    return res.status;
  }

  it("claude.ai's scope ' offline_access' gets mcp and a refresh token; VS Code's resource = the issuer is bound to /mcp; Zed's DCR without refresh_token refreshes", async () => {
    const redirect = "http://127.0.0.1:27523/oauth/callback";
    const zed = await register({ client_name: "Zed", redirect_uris: [redirect], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "none" });
    const { code: c, verifier } = await code(zed.client_id, redirect, { scope: " offline_access", resource: server.url });
    const issued = await token({ grant_type: "authorization_code", code: c, code_verifier: verifier, redirect_uri: redirect, client_id: zed.client_id, resource: `${server.url}/` });
    expect(issued.status).toBe(200);
    const tokens = (await issued.json()) as { access_token: string; refresh_token?: string; scope: string };
    expect(tokens.scope).toBe("mcp");
    expect(decodeJwt(tokens.access_token).aud).toBe(`${server.url}/mcp`);
    expect(tokens.refresh_token).toMatch(/^gh1r_/);
    const refreshed = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token ?? "", client_id: zed.client_id });
    expect(refreshed.status).toBe(200);
    expect(await toolsStatus(((await refreshed.json()) as { access_token: string }).access_token)).toBe(200);
    // A refresh asked for another resource can never serve it: invalid_grant, which MCP SDK clients answer by signing in again.
    const other = await token({ grant_type: "refresh_token", refresh_token: tokens.refresh_token ?? "", client_id: zed.client_id, resource: "https://elsewhere.example/mcp" });
    expect(((await other.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("advertises the JWT-bearer grant and redeems an ID-JAG from the Node IdP: one winner of 50, then /mcp", async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    expect(metadata.grant_types_supported).toContain(JWT_BEARER);
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ client_id: CLIENT, resource: `${server.url}/mcp`, scope: "mcp", email: "hopper@acme.example" })
      .setProtectedHeader({ alg: "ES256", typ: "oauth-id-jag+jwt", kid: "idp-e2e" })
      .setIssuer(IDP)
      .setSubject("00u-hopper")
      .setAudience(server.url)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(crypto.randomUUID())
      .sign(signingKey);
    const basic = `Basic ${btoa(`${CLIENT}:${SECRET}`)}`;
    const responses = await Promise.all(Array.from({ length: 50 }, () => token({ grant_type: JWT_BEARER, assertion }, { Authorization: basic })));
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    const refused = await Promise.all(responses.filter((r) => r.status !== 200).map(async (r) => [r.status, ((await r.json()) as { error: string }).error]));
    expect(refused).toEqual(Array.from({ length: 49 }, () => [400, "invalid_grant"]));
    const tokens = (await (ok[0] as Response).json()) as { access_token: string; refresh_token?: string };
    expect(tokens.refresh_token).toBeUndefined();
    expect(decodeJwt(tokens.access_token)).toMatchObject({ client_id: CLIENT, email: "hopper@acme.example", aud: `${server.url}/mcp` });
    expect(await toolsStatus(tokens.access_token)).toBe(200);
    expect(idpRequests).toEqual(expect.arrayContaining(["/.well-known/openid-configuration", "/keys"]));
  });
});
