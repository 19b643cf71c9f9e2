// MCP Inspector's CLI (@modelcontextprotocol/inspector, a pinned devDependency) against `wrangler dev` with the
// development IdP: its own discovery, Dynamic Client Registration and PKCE, with the "browser" it opens being
// test/e2e/open-browser.mjs (xdg-open runs `$BROWSER <url>`), which signs in headlessly and lands on the Inspector's
// loopback callback listener. Then later runs reuse the stored authorization through the refresh grant.
// The Inspector keeps its state under $HOME/.mcp-inspector (a temporary HOME here): the OAuth state in
// storage/oauth.json and, with MCP_INSPECTOR_SECRET_STORE=file, the tokens in secrets.json.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, WRANGLER_ENV, startGatehouse } from "../support/node/wrangler-dev";
import { type InspectorRun as Run, inspectorNode, runInspector } from "./inspector-cli";

const PORT = 8851;
const CALLBACK = "http://127.0.0.1:8859/oauth/callback";
const EMAIL = "grace@example.com";

interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  scope?: string;
}

describe("MCP Inspector CLI against wrangler dev with the development IdP", () => {
  let server: Gatehouse;
  let home: string;
  let browserLog: string;
  let clientId: string | undefined;
  let firstTokens: StoredTokens | undefined;

  /** Runs `mcp-inspector --cli …` with the temporary HOME and the headless browser. */
  const inspector = (args: string[]): Promise<Run> => runInspector({ home, browserLog, email: EMAIL, callback: CALLBACK }, args);

  const secretsPath = () => join(home, ".mcp-inspector", "secrets.json");
  const tokensKey = (secrets: Record<string, string>) => Object.keys(secrets).find((k) => k.includes(encodeURIComponent(`${server.url}/mcp`)) && k.endsWith(`:tokens:${server.url}`));
  const storedTokens = (): StoredTokens | undefined => {
    const { secrets } = JSON.parse(readFileSync(secretsPath(), "utf8")) as { secrets: Record<string, string> };
    const key = tokensKey(secrets);
    return key ? (JSON.parse(secrets[key] ?? "") as StoredTokens) : undefined;
  };
  const replaceStoredTokens = (change: (tokens: StoredTokens) => StoredTokens) => {
    const file = JSON.parse(readFileSync(secretsPath(), "utf8")) as { secrets: Record<string, string> };
    const key = tokensKey(file.secrets);
    if (!key) throw new Error("no stored tokens to change");
    file.secrets[key] = JSON.stringify(change(JSON.parse(file.secrets[key] ?? "") as StoredTokens));
    writeFileSync(secretsPath(), JSON.stringify(file, null, 2));
  };
  const browserRuns = (): Array<Record<string, unknown>> =>
    existsSync(browserLog) ? readFileSync(browserLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
  /** wrangler dev's request lines (`POST /token 200`) printed since `offset` into its output. */
  const requestsSince = (offset: number) =>
    [...server.logs().slice(offset).matchAll(/\[wrangler:info\] (GET|POST|DELETE|PUT|OPTIONS) (\S+) (\d{3})/g)].map((m) => `${m[1]} ${m[2]?.split("?")[0]} ${m[3]}`);
  /** Gatehouse's audit log (D1 `events`), read from the local database wrangler dev writes. */
  const events = async (): Promise<Array<{ type: string; client_id: string | null }>> => {
    const args = ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", server.state, "--json", "--command", "SELECT type, client_id FROM events ORDER BY rowid"];
    const { stdout } = await promisify(execFile)("npx", args, { env: { ...process.env, ...WRANGLER_ENV }, encoding: "utf8" });
    return (JSON.parse(stdout) as Array<{ results: Array<{ type: string; client_id: string | null }> }>)[0]?.results ?? [];
  };
  /** Events are written after the response (waitUntil): waits a little for `count` of `type`. */
  const waitForEvents = async (type: string, count: number) => {
    const deadline = Date.now() + 15_000;
    let seen = await events();
    while (seen.filter((e) => e.type === type && e.client_id === clientId).length < count && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      seen = await events();
    }
    return seen.filter((e) => e.client_id === clientId).map((e) => e.type);
  };
  /** `--format json` prints `{"result": <the MCP result>}`. */
  const result = <T>(run: Run) => (JSON.parse(run.stdout) as { result: T }).result;
  const toolNames = (run: Run) => (result<{ tools?: Array<{ name: string }> }>(run).tools ?? []).map((t) => t.name);
  const explain = (run: Run) => `exit ${run.code}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}\nbrowser: ${JSON.stringify(browserRuns())}`;

  beforeAll(async () => {
    // Fails here, before wrangler starts, when no Node can run the Inspector.
    inspectorNode();
    home = mkdtempSync(join(tmpdir(), "gatehouse-inspector-"));
    browserLog = join(home, "browser.log");
    server = await startGatehouse(PORT);
  });

  afterAll(async () => {
    await server?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("completes OAuth through the opened browser (DCR, PKCE, consent, dev IdP, loopback callback) and lists whoami", async () => {
    const offset = server.logs().length;
    const run = await inspector([`${server.url}/mcp`, "--transport", "http", "--method", "tools/list", "--callback-url", CALLBACK, "--format", "json"]);
    expect(run.code, explain(run)).toBe(0);
    expect(toolNames(run)).toContain("whoami");

    // The Inspector printed the authorization URL it opened; it is a well-formed MCP authorization request.
    const printed = /Please navigate to: (\S+)/.exec(run.stderr)?.[1];
    expect(printed, explain(run)).toBeDefined();
    const authorize = new URL(printed ?? "");
    expect(authorize.origin + authorize.pathname).toBe(`${server.url}/authorize`);
    expect(authorize.searchParams.get("redirect_uri")).toBe(CALLBACK);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("resource")).toBe(`${server.url}/mcp`);
    expect(authorize.searchParams.get("scope")?.split(" ")).toContain("mcp");
    clientId = authorize.searchParams.get("client_id") ?? undefined;

    // The browser went consent → dev IdP → Gatehouse's callback → the Inspector's listener, with iss (RFC 9207).
    const [browser] = browserRuns();
    expect(browserRuns()).toHaveLength(1);
    expect(browser).toMatchObject({ ok: true, callback: { url: CALLBACK, iss: server.url, hasCode: true, hasState: true, error: null } });
    expect(browser?.steps).toEqual([
      `GET ${server.url}/authorize 200`,
      `POST ${server.url}/authorize 302`,
      `GET ${server.url}/dev-idp/authorize 200`,
      `POST ${server.url}/dev-idp/authorize 302`,
      `GET ${server.url}/callback 302`,
      `GET ${CALLBACK} 200`,
    ]);

    const requests = requestsSince(offset);
    expect(requests).toContain("POST /register 201");
    expect(requests).toContain("POST /token 200");

    // What the Inspector stored: its registration (with the refresh grant) and a refresh token.
    const state = JSON.parse(readFileSync(join(home, ".mcp-inspector", "storage", "oauth.json"), "utf8")) as {
      servers: Record<string, { byIssuer: Record<string, { clientInformation: { client_id: string; grant_types?: string[] } }> }>;
    };
    const registration = state.servers[`${server.url}/mcp`]?.byIssuer[server.url]?.clientInformation;
    expect(registration?.client_id).toBe(clientId);
    expect(registration?.grant_types).toContain("refresh_token");
    firstTokens = storedTokens();
    expect(firstTokens?.token_type.toLowerCase()).toBe("bearer");
    expect(firstTokens?.refresh_token).toMatch(/^gh1r_[0-9a-f]+\.[A-Za-z0-9_-]{43,}$/);
    expect(await waitForEvents("refresh_token.issued", 1)).toEqual(expect.arrayContaining(["client.registered", "grant.created", "code.redeemed", "refresh_token.issued"]));
  });

  it("a later run whose stored access token no longer works gets 401 invalid_token, refreshes (rotation) and lists tools, with no new sign-in", async () => {
    expect(firstTokens?.refresh_token).toBeDefined();
    replaceStoredTokens((tokens) => ({ ...tokens, access_token: "not-a-jwt.garbage.token" }));
    const offset = server.logs().length;

    const run = await inspector([`${server.url}/mcp`, "--transport", "http", "--method", "tools/list", "--callback-url", CALLBACK, "--format", "json", "--stored-auth-only"]);

    expect(run.code, explain(run)).toBe(0);
    expect(toolNames(run)).toContain("whoami");
    const requests = requestsSince(offset);
    expect(requests.slice(0, 3)).toEqual(["POST /mcp 401", "POST /token 200", "POST /mcp 200"]);
    expect(requests.filter((r) => /\/(authorize|register|callback)\b/.test(r))).toEqual([]);
    expect(server.logs().slice(offset)).toMatch(/"event":"request\.failed","method":"POST","path":"\/mcp","status":401,"error":"invalid_token"/);
    expect(browserRuns()).toHaveLength(1);
    // The token endpoint served the refresh grant: a rotated refresh token of the same grant, and its audit event.
    const after = storedTokens();
    expect(after?.access_token).not.toBe("not-a-jwt.garbage.token");
    expect(after?.refresh_token).not.toBe(firstTokens?.refresh_token);
    expect(after?.refresh_token?.split(".")[0]).toBe(firstTokens?.refresh_token?.split(".")[0]);
    expect((await waitForEvents("refresh_token.rotated", 1)).filter((t) => t === "refresh_token.rotated")).toHaveLength(1);
    firstTokens = after;
  });

  it("--use-stored-auth refreshes the stored authorization and calls whoami as the person who signed in", async () => {
    const offset = server.logs().length;

    const run = await inspector(["--server-url", `${server.url}/mcp`, "--transport", "http", "--use-stored-auth", "--method", "tools/call", "--tool-name", "whoami", "--format", "json"]);

    expect(run.code, explain(run)).toBe(0);
    const whoami = result<{ structuredContent?: Record<string, unknown>; isError?: boolean }>(run);
    expect(whoami.isError).toBeFalsy();
    expect(whoami.structuredContent).toMatchObject({ authenticated: true, email: EMAIL, domain: "example.com", client_id: clientId, scopes: ["mcp"] });
    const requests = requestsSince(offset);
    expect(requests).toContain("POST /token 200");
    expect(requests.filter((r) => r.startsWith("POST /mcp 401") || /\/(authorize|register)\b/.test(r))).toEqual([]);
    expect(browserRuns()).toHaveLength(1);
    const after = storedTokens();
    expect(after?.refresh_token).not.toBe(firstTokens?.refresh_token);
    expect(after?.refresh_token?.split(".")[0]).toBe(firstTokens?.refresh_token?.split(".")[0]);
    expect((await waitForEvents("refresh_token.rotated", 2)).filter((t) => t === "refresh_token.rotated")).toHaveLength(2);
  });
});
