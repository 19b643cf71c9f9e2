// The gateway to a Worker origin through a service binding, on real workerd: the vitest pool's auxiliary worker
// (test/support/origin-worker) behind MCP_ORIGIN receives the allow-listed headers and an identity assertion whose
// aud is service:MCP_ORIGIN, and its SSE stream reaches the client event by event.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { verifyIdentity } from "../../src/index";
import { mintAccessToken } from "../../src/tokens/access-token";
import worker from "../../src/worker";
import { BASE } from "./helpers/browser";
import { liveGrantId } from "./helpers/grant";

const serviceEnv = { ...env, MCP_SERVERS: JSON.stringify([{ name: "worker", label: "Worker tools", service: "MCP_ORIGIN" }]) } as Env;
const RESOURCE = `${BASE}/mcp/worker`;
const grantId = await liveGrantId();

async function call(init: RequestInit, query = ""): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${RESOURCE}${query}`, init), serviceEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function token(): Promise<string> {
  return (await mintAccessToken(env, parseConfig(serviceEnv), { subject: "usr_ada", clientId: "client-1", scope: "mcp", grantId, email: "ada@analytical.example", emailVerified: true, resource: RESOURCE })).token;
}

const toolCall = async (name: string, headers: Record<string, string> = {}, meta?: object): Promise<RequestInit> => ({
  method: "POST",
  headers: { Authorization: `Bearer ${await token()}`, "Content-Type": "application/json", Accept: "application/json, text/event-stream", "Mcp-Protocol-Version": "2025-11-25", ...headers },
  body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) } }),
});

afterEach(() => vi.restoreAllMocks());

describe("a Worker origin behind a service binding", () => {
  it("receives the allow-listed headers only and an identity assertion for service:MCP_ORIGIN, at the client's path and query", async () => {
    const res = await call(await toolCall("headers", { Cookie: "session=secret", "X-Forwarded-For": "203.0.113.9", "X-User": "admin", "Mcp-Name": "headers", "Mcp-Method": "tools/call" }), "?tenant=acme");
    expect(res.status).toBe(200);
    const { result } = (await res.json()) as { result: { content: { text: string }[] } };
    const received = JSON.parse(result.content[0]?.text ?? "{}") as { url: string; headers: Record<string, string> };
    expect(received.url).toBe("https://mcp_origin/mcp/worker?tenant=acme");
    // content-length is the runtime's framing of the streamed body, not a client header.
    expect(Object.keys(received.headers).sort()).toEqual(["accept", "authorization", "content-length", "content-type", "mcp-method", "mcp-name", "mcp-protocol-version"]);

    // Gatehouse's JWKS, fetched by verifyIdentity, answered by the Worker itself.
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => worker.fetch(new Request(`${BASE}${new URL(String(input instanceof Request ? input.url : input)).pathname}`), env, createExecutionContext()));
    const identity = await verifyIdentity(new Request(received.url, { headers: received.headers }), { issuer: BASE, audience: "service:MCP_ORIGIN" });
    expect(identity).toMatchObject({ sub: "usr_ada", email: "ada@analytical.example", client_id: "client-1", scope: "mcp", sid: grantId });
  });

  it("passes each SSE event on as the origin writes it: progress arrives before the result", async () => {
    const res = await call(await toolCall("count", {}, { progressToken: "p1" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    const arrivals: { at: number; text: string }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push({ at: Date.now(), text: value });
    }
    const first = arrivals.find((a) => a.text.includes("notifications/progress"));
    const last = arrivals.find((a) => a.text.includes('"result"'));
    expect(first && last && last.at - first.at).toBeGreaterThanOrEqual(400);
    expect(arrivals.map((a) => a.text).join("")).toContain('"text":"counted"');
  });
});
