// A Worker origin behind Gatehouse through a service binding, end to end: one `wrangler dev` runs two configurations
// (Gatehouse's env.dev, whose MCP_ORIGIN binds test/support/origin-worker, and that Worker), and the MCP SDK client
// signs in at /mcp/worker, lists and calls its tools. The origin reports what it received; the identity assertion
// is checked with the package's verifyIdentity against Gatehouse's JWKS.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { verifyIdentity } from "gatehouse/verify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Gatehouse, startGatehouse } from "../support/node/wrangler-dev";
import { HeadlessOAuthClient } from "./oauth-client";

const PORT = 8961;
const REDIRECT_URI = "http://127.0.0.1:8969/callback";
const EMAIL = "katherine@example.com";

describe("a Worker origin through a service binding, in wrangler dev", () => {
  let gatehouse: Gatehouse;

  beforeAll(async () => {
    gatehouse = await startGatehouse(PORT, { MCP_SERVERS: JSON.stringify([{ name: "worker", label: "Worker tools", service: "MCP_ORIGIN" }]) }, { workers: ["test/support/origin-worker/wrangler.jsonc"] });
  });

  afterAll(async () => {
    await gatehouse?.stop();
  });

  it("signs the MCP SDK client in at /mcp/worker, then lists and calls the Worker's tools through the binding", async () => {
    const oauth = new HeadlessOAuthClient({ redirectUrl: REDIRECT_URI, clientName: "Gatehouse service e2e", browse: { fill: { email: EMAIL, name: "Katherine Johnson" }, choose: ["decision=approve", "action=login"] }, expectedIssuer: gatehouse.url });
    const url = new URL(`${gatehouse.url}/mcp/worker`);
    const first = new StreamableHTTPClientTransport(url, { authProvider: oauth });
    await expect(new Client({ name: "service-e2e", version: "1.0.0" }).connect(first)).rejects.toThrow();
    await first.finishAuth(oauth.code ?? "");
    const clientToken = oauth.tokens()?.access_token ?? "";
    expect(JSON.parse(Buffer.from(clientToken.split(".")[1] ?? "", "base64url").toString()).aud).toBe(url.href);

    const client = new Client({ name: "service-e2e", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { authProvider: oauth }));
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(["headers", "count"]);

    const progress: number[] = [];
    const counted = await client.callTool({ name: "count", arguments: {} }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    expect(progress).toEqual([1, 2, 3]);
    expect(counted.content).toEqual([{ type: "text", text: "counted" }]);

    const reported = await client.callTool({ name: "headers", arguments: {} });
    const received = JSON.parse((reported.content as { text: string }[])[0]?.text ?? "{}") as { url: string; headers: Record<string, string> };
    expect(new URL(received.url).pathname).toBe("/mcp/worker");
    expect(JSON.stringify(received)).not.toContain(clientToken);
    for (const name of Object.keys(received.headers)) expect(["content-type", "accept", "mcp-protocol-version", "mcp-method", "mcp-name", "mcp-session-id", "authorization", "content-length", "host", "cf-worker"]).toContain(name);
    const identity = await verifyIdentity(new Request(received.url, { headers: received.headers }), { issuer: gatehouse.url, audience: "service:MCP_ORIGIN" });
    expect(identity).toMatchObject({ email: EMAIL, email_verified: true, scope: "mcp", client_id: oauth.clientInformation()?.client_id });
    await client.close();
  });
});
