// examples/own-tools, a Worker that imports the package by name and adds tools of its own, under `wrangler dev`:
// the MCP SDK client signs in through the development IdP and calls both tools, each answering for the verified caller.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8921;
const EMAIL = "grace@example.com";
const CONFIG = fileURLToPath(new URL("../../examples/own-tools/wrangler.jsonc", import.meta.url));

describe("examples/own-tools: a Worker with its own tools behind Gatehouse", () => {
  let server: Gatehouse;
  let oauth: HeadlessOAuthClient;

  beforeAll(async () => {
    server = await startGatehouse(PORT, {}, { config: CONFIG });
    oauth = new HeadlessOAuthClient({
      redirectUrl: "http://127.0.0.1:33421/callback",
      clientName: "Gatehouse own-tools e2e",
      browse: { fill: { email: EMAIL, name: "Grace Hopper" }, choose: ["decision=approve", "action=login"] },
      expectedIssuer: server.url,
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  async function connected<T>(use: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ name: "own-tools-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth }));
    try {
      return await use(client);
    } finally {
      await client.close();
    }
  }

  it("signs in with the MCP SDK client's OAuth flow against the development IdP", async () => {
    await expect(connected(async () => undefined)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(oauth.callbacks).toHaveLength(1);
    expect(oauth.callbacks[0]?.searchParams.get("iss")).toBe(server.url);
    await new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { authProvider: oauth }).finishAuth(oauth.code ?? "");
    expect(oauth.tokens()?.scope).toBe("mcp");
  });

  it("serves the Worker's tools only (whoami: false) under the service name given by option", async () => {
    const { tools, title } = await connected(async (client) => ({ tools: (await client.listTools()).tools, title: client.getServerVersion()?.title }));
    expect(tools.map((t) => t.name)).toEqual(["greet", "add_note"]);
    expect(title).toBe("Notes");
  });

  it("greets the verified caller by email", async () => {
    const result = await connected((client) => client.callTool({ name: "greet", arguments: {} }));
    expect(result).toEqual({ content: [{ type: "text", text: `Hello, ${EMAIL}!` }] });
  });

  it("keeps notes in the Worker's own KV binding under the verified caller", async () => {
    const first = await connected((client) => client.callTool({ name: "add_note", arguments: { text: "buy milk" } }));
    expect(first.isError).toBeFalsy();
    expect(first.structuredContent).toEqual({ owner: EMAIL, notes: ["buy milk"] });
    const second = await connected((client) => client.callTool({ name: "add_note", arguments: { text: "fix the bug" } }));
    expect(second.structuredContent).toEqual({ owner: EMAIL, notes: ["buy milk", "fix the bug"] });
  });
});
