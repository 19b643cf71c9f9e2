// Real MCP clients through the gateway at /mcp/<name>, in front of the real MCP SDK origin (test/e2e/mcp-origin.ts,
// stateful, with an event store so streams are resumable): MCP Inspector's CLI and mcp-remote, each
// with its own OAuth (discovery from the path's 401, DCR, PKCE, the headless "browser" of open-browser.mjs), then a
// raw 2025-11-25 session (initialize, Mcp-Session-Id, the GET stream, resumption with Last-Event-ID), and a raw
// 2026-07-28 stateless exchange (server/discover, tools/call with Mcp-Method and Mcp-Name, subscriptions/listen)
// with the MCP SDK v2 server (test/e2e/fixtures/stateless-origin.ts) as a second origin.
// Every one asserts that the origin saw Gatehouse's identity assertion for the person and never a client's token.
// @see issue 15; MCP 2025-11-25 "Streamable HTTP" (session management, resumability and redelivery); MCP 2026-07-28
// (SEP-2575 stateless, SEP-2243 Mcp-Method / Mcp-Name)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { auth } from "@modelcontextprotocol/sdk/client/auth.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { inspectorNode, runInspector } from "./inspector-cli";
import { type StatelessOrigin, startStatelessOrigin } from "./fixtures/stateless-origin";
import { type Origin, startOrigin } from "./mcp-origin";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8961;
const ORIGIN_PORT = 8965;
const STATELESS_ORIGIN_PORT = 8966;
const MCP_REMOTE_CALLBACK_PORT = 8968;
const INSPECTOR_CALLBACK = "http://127.0.0.1:8969/oauth/callback";
const RAW_REDIRECT_URI = "http://127.0.0.1:8967/callback";
const GATEHOUSE_URL = `http://localhost:${PORT}`;
const EMAIL = "ada@example.com";
const PROXY = fileURLToPath(new URL("../../node_modules/mcp-remote/dist/proxy.js", import.meta.url));
const BROWSER_SCRIPT = fileURLToPath(new URL("./open-browser.mjs", import.meta.url));
const JSONRPC = { "Content-Type": "application/json", Accept: "application/json, text/event-stream" };

interface SseEvent {
  id?: string;
  data: string;
}

/** Reads server-sent events from `body` until `until` holds for one of them (or the stream ends). */
async function readEvents(body: ReadableStream<Uint8Array>, until: (event: SseEvent) => boolean): Promise<SseEvent[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: "" };
        for (const line of block.split("\n")) {
          if (line.startsWith("id:")) event.id = line.slice(3).trim();
          if (line.startsWith("data:")) event.data += line.slice(5).trim();
        }
        events.push(event);
        if (until(event)) return events;
      }
    }
  } finally {
    await reader.cancel();
  }
}

describe("real MCP clients through the gateway", () => {
  const stops: (() => Promise<void>)[] = [];
  let gatehouse: Gatehouse;
  let origin: Origin;
  let stateless: StatelessOrigin;
  let home: string;
  let browserLog: string;
  /** Every access token a client held in this file: none may ever reach the origin. */
  const clientTokens: string[] = [];

  const browserRuns = (): Array<Record<string, unknown>> =>
    existsSync(browserLog) ? readFileSync(browserLog, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];

  /** The origin's requests since `count`: each carried a verified assertion for EMAIL and no client token. */
  const expectAssertedSince = (count: number) => {
    const requests = origin.requests.slice(count);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      const presented = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
      expect(clientTokens).not.toContain(presented);
      expect(decodeProtectedHeader(presented).typ).toBe("gh-id+jwt");
      if ("error" in request.identity) throw new Error(`the origin refused the assertion: ${request.identity.error}`);
      expect(request.identity.payload).toMatchObject({ iss: GATEHOUSE_URL, aud: origin.url, email: EMAIL });
    }
  };

  /** The MCP SDK client's OAuth flow against `serverUrl` (discovery from its 401), to an access token. */
  const tokenFor = async (serverUrl: string): Promise<string> => {
    const oauth = new HeadlessOAuthClient({ redirectUrl: RAW_REDIRECT_URI, clientName: "raw client", browse: { fill: { email: EMAIL }, choose: ["decision=approve", "action=login"] }, expectedIssuer: GATEHOUSE_URL });
    expect(await auth(oauth, { serverUrl })).toBe("REDIRECT");
    expect(await auth(oauth, { serverUrl, authorizationCode: oauth.code ?? "" })).toBe("AUTHORIZED");
    const token = oauth.tokens()?.access_token ?? "";
    clientTokens.push(token);
    return token;
  };

  beforeAll(async () => {
    inspectorNode();
    home = mkdtempSync(join(tmpdir(), "gatehouse-gateway-clients-"));
    browserLog = join(home, "browser.log");
    origin = await startOrigin(ORIGIN_PORT, GATEHOUSE_URL, stops, { resumable: true });
    stateless = await startStatelessOrigin(STATELESS_ORIGIN_PORT, stops);
    const servers = [
      { name: "demo", label: "Demo tools", origin: origin.url },
      { name: "next", label: "Stateless tools", origin: stateless.url },
    ];
    gatehouse = await startGatehouse(PORT, { MCP_SERVERS: JSON.stringify(servers) });
  });

  afterAll(async () => {
    await gatehouse?.stop();
    await Promise.all(stops.map((stop) => stop()));
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("MCP Inspector's CLI signs in at /mcp/demo (resource = the server) and calls the origin's echo tool", async () => {
    const count = origin.requests.length;
    const person = { home, browserLog, email: EMAIL, callback: INSPECTOR_CALLBACK };
    const run = await runInspector(person, [`${gatehouse.url}/mcp/demo`, "--transport", "http", "--method", "tools/call", "--tool-name", "echo", "--tool-arg", "text=through the gateway", "--callback-url", INSPECTOR_CALLBACK, "--format", "json"]);
    const explain = `exit ${run.code}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(-2000)}\nbrowser: ${JSON.stringify(browserRuns())}`;
    expect(run.code, explain).toBe(0);
    expect((JSON.parse(run.stdout) as { result: unknown }).result).toMatchObject({ content: [{ type: "text", text: "through the gateway" }] });
    const authorize = new URL(/Please navigate to: (\S+)/.exec(run.stderr)?.[1] ?? "");
    expect(authorize.searchParams.get("resource")).toBe(`${gatehouse.url}/mcp/demo`);
    expect(browserRuns().at(-1)).toMatchObject({ ok: true, callback: { url: INSPECTOR_CALLBACK, iss: gatehouse.url, hasCode: true } });
    const { secrets } = JSON.parse(readFileSync(join(home, ".mcp-inspector", "secrets.json"), "utf8")) as { secrets: Record<string, string> };
    const stored = Object.entries(secrets).filter(([key]) => key.includes(":tokens:")).map(([, value]) => (JSON.parse(value) as { access_token: string }).access_token);
    expect(stored).toHaveLength(1);
    clientTokens.push(...stored);
    expectAssertedSince(count);
  });

  it("mcp-remote signs in at /mcp/demo, lists and calls the origin's tools over stdio", async () => {
    const count = origin.requests.length;
    const configDir = join(home, ".mcp-auth");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [PROXY, `${gatehouse.url}/mcp/demo`, String(MCP_REMOTE_CALLBACK_PORT)],
      env: {
        HOME: home,
        MCP_REMOTE_CONFIG_DIR: configDir,
        BROWSER: `${process.execPath} ${BROWSER_SCRIPT}`,
        GATEHOUSE_E2E_EMAIL: EMAIL,
        GATEHOUSE_E2E_CALLBACK: `http://localhost:${MCP_REMOTE_CALLBACK_PORT}/oauth/callback`,
        GATEHOUSE_E2E_BROWSER_LOG: browserLog,
      },
      stderr: "pipe",
    });
    let stderr = "";
    transport.stderr?.on("data", (d) => (stderr += d));
    const client = new Client({ name: "gatehouse-gateway-clients-e2e", version: "1.0.0" });
    try {
      // The proxy signs in before it answers initialize: allow the whole browser dance.
      await client.connect(transport, { timeout: 45_000 }).catch((error: unknown) => {
        throw new Error(`mcp-remote failed: ${String(error)}\nstderr:\n${stderr.slice(-4000)}\nbrowser: ${JSON.stringify(browserRuns())}`);
      });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(["echo", "count", "announce"]);
      const call = await client.callTool({ name: "echo", arguments: { text: "via mcp-remote" } });
      expect(call.content).toEqual([{ type: "text", text: "via mcp-remote" }]);
    } finally {
      await client.close();
    }
    const authorize = new URL(/Please authorize this client by visiting:\s+(\S+)/.exec(stderr)?.[1] ?? "");
    expect(authorize.searchParams.get("resource")).toBe(`${gatehouse.url}/mcp/demo`);
    const dir = join(configDir, "mcp-remote-v1");
    const file = readdirSync(dir).find((f) => f.endsWith("_tokens.json")) ?? "";
    clientTokens.push((JSON.parse(readFileSync(join(dir, file), "utf8")) as { access_token: string }).access_token);
    expectAssertedSince(count);
  });

  it("a 2025-11-25 session passes through: initialize, Mcp-Session-Id, the GET stream, and resumption with Last-Event-ID", async () => {
    const serverUrl = `${gatehouse.url}/mcp/demo`;
    const token = await tokenFor(serverUrl);
    const count = origin.requests.length;
    const version = "2025-11-25";
    const post = (body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(serverUrl, { method: "POST", headers: { ...JSONRPC, Authorization: `Bearer ${token}`, ...headers }, body: JSON.stringify(body), signal });

    const init = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "raw", version: "0" } } });
    expect(init.status).toBe(200);
    const session = init.headers.get("mcp-session-id") ?? "";
    // The origin's own id, bound to this grant and server by Gatehouse's tag; the origin gets its id back.
    expect(session).toMatch(/^[0-9a-f-]{36}\.gs1\.[A-Za-z0-9_-]+$/);
    const [initialized] = (await readEvents(init.body as ReadableStream<Uint8Array>, (e) => e.data.includes('"id":1'))).filter((e) => e.data);
    expect(JSON.parse(initialized?.data ?? "{}").result.protocolVersion).toBe(version);
    const inSession = { "Mcp-Session-Id": session, "Mcp-Protocol-Version": version };
    const notified = await post({ jsonrpc: "2.0", method: "notifications/initialized" }, inSession);
    expect(notified.status).toBe(202);

    // The standalone GET stream: a notification the origin sends outside any request arrives on it.
    const listening = new AbortController();
    const stream = await fetch(serverUrl, { headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}`, ...inSession }, signal: listening.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const announced = readEvents(stream.body as ReadableStream<Uint8Array>, (e) => e.data.includes("notifications/tools/list_changed"));
    const announce = await post({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "announce", arguments: {} } }, inSession);
    await readEvents(announce.body as ReadableStream<Uint8Array>, (e) => e.data.includes('"id":2'));
    expect((await announced).some((e) => e.data.includes("notifications/tools/list_changed"))).toBe(true);
    listening.abort();

    // Resumption: the client breaks the call's stream after the origin's priming event (an id, no data), then
    // resumes it with Last-Event-ID and receives every progress notification and the result it missed.
    const breaking = new AbortController();
    const counting = await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "count", arguments: {}, _meta: { progressToken: "p" } } }, inSession, breaking.signal);
    const [priming] = await readEvents(counting.body as ReadableStream<Uint8Array>, (e) => e.id !== undefined);
    expect(priming).toEqual({ id: expect.any(String), data: "" });
    breaking.abort();
    // The tool takes 450 ms; its events are stored while no connection carries them.
    await new Promise((r) => setTimeout(r, 800));
    const resumed = await fetch(serverUrl, { headers: { Accept: "text/event-stream", Authorization: `Bearer ${token}`, "Last-Event-ID": priming?.id ?? "", ...inSession } });
    expect(resumed.status).toBe(200);
    const replayed = await readEvents(resumed.body as ReadableStream<Uint8Array>, (e) => e.data.includes('"id":3'));
    const messages = replayed.filter((e) => e.data).map((e) => JSON.parse(e.data) as { method?: string; params?: { progress?: number }; result?: { content: unknown } });
    expect(messages.map((m) => (m.method ? `${m.method} ${m.params?.progress}` : "result"))).toEqual(["notifications/progress 1", "notifications/progress 2", "notifications/progress 3", "result"]);
    expect(messages.at(-1)?.result?.content).toEqual([{ type: "text", text: "counted" }]);
    expect(origin.requests.slice(count).filter((r) => r.method === "GET").map((r) => r.headers["last-event-id"])).toEqual([undefined, priming?.id]);

    const closed = await fetch(serverUrl, { method: "DELETE", headers: { Authorization: `Bearer ${token}`, ...inSession } });
    expect(closed.status).toBe(200);
    expect(origin.requests.at(-1)?.headers["mcp-session-id"]).toBe(session.split(".gs1.")[0]);
    expectAssertedSince(count);
  });

  it("a 2026-07-28 stateless exchange passes through: server/discover, tools/call with Mcp-Method and Mcp-Name, subscriptions/listen", async () => {
    const serverUrl = `${gatehouse.url}/mcp/next`;
    const token = await tokenFor(serverUrl);
    const version = "2026-07-28";
    const meta = { "io.modelcontextprotocol/protocolVersion": version, "io.modelcontextprotocol/clientCapabilities": {} };
    const call = (id: number, method: string, params: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(serverUrl, {
        method: "POST",
        headers: { ...JSONRPC, Authorization: `Bearer ${token}`, "MCP-Protocol-Version": version, "Mcp-Method": method, ...headers },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } }),
        signal,
      });

    const discover = await call(1, "server/discover", {});
    expect(discover.status).toBe(200);
    expect(discover.headers.get("mcp-session-id")).toBeNull();
    expect((await discover.json()).result).toMatchObject({ supportedVersions: [version], capabilities: { tools: expect.any(Object) }, _meta: { "io.modelcontextprotocol/serverInfo": { name: "stateless-origin" } } });
    const echoed = await call(2, "tools/call", { name: "echo", arguments: { text: "stateless" } }, { "Mcp-Name": "echo" });
    expect(echoed.status).toBe(200);
    expect((await echoed.json()).result).toMatchObject({ content: [{ type: "text", text: "stateless" }], resultType: "complete" });

    // subscriptions/listen replaces the GET stream: a long-lived answer whose first message acknowledges the filter.
    const listening = new AbortController();
    const listen = await call(3, "subscriptions/listen", { notifications: { toolsListChanged: true } }, {}, listening.signal);
    expect(listen.status).toBe(200);
    expect(listen.headers.get("content-type")).toContain("text/event-stream");
    const [ack] = (await readEvents(listen.body as ReadableStream<Uint8Array>, (e) => e.data !== "")).filter((e) => e.data);
    expect(JSON.parse(ack?.data ?? "{}").method).toBe("notifications/subscriptions/acknowledged");
    listening.abort();

    expect(stateless.requests.map((r) => [r.headers["mcp-method"], r.headers["mcp-name"], r.headers["mcp-protocol-version"], r.headers["mcp-session-id"]])).toEqual([
      ["server/discover", undefined, version, undefined],
      ["tools/call", "echo", version, undefined],
      ["subscriptions/listen", undefined, version, undefined],
    ]);
    for (const request of stateless.requests) {
      const presented = request.headers.authorization?.replace(/^Bearer /, "") ?? "";
      expect(clientTokens).not.toContain(presented);
      expect(decodeProtectedHeader(presented).typ).toBe("gh-id+jwt");
    }
  });
});
