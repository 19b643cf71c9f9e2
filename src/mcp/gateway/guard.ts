// What the gateway holds between client and origin: session ids bound to the grant, the server's tool policy on
// every request and every tools/list answer, and SEP-2243's headers held against the body.
// @see MCP security best practices ("Session Hijacking"); MCP specification, basic/authorization ("Scope Challenge
// Handling"); DESIGN.md "Gateway"
import type { Context } from "hono";
import type { McpServer } from "../../config/servers";
import { OAuthError } from "../../errors";
import type { AppEnv } from "../../http/app-env";
import { readText } from "../../http/params";
import { bearerChallenge, noteFailure } from "../../http/respond";
import type { Caller } from "../../identity";
import type { ProtectedResource } from "../../policy/resource";
import { calledTools } from "../../policy/tool-calls";
import { type ErrorMessage, filterBody, filterMessage, HEADER_MISMATCH, hasToolPolicy, planRequest, type RequestPlan } from "../../policy/tool-policy";
import { bindSessionId, gatewaySessionKey, openSessionId } from "../../tokens/gateway-session";
import { MAX_BODY_BYTES } from "../server";
import { countUse } from "../usage";
import { forward, originFailure } from "./proxy";
import { sseRewriter } from "./sse-filter";

const rpcError = (c: Context<AppEnv>, status: 400 | 404 | 413, code: number, message: string) => c.json({ jsonrpc: "2.0", error: { code, message }, id: null }, status);

/** Proxies one request to `server` for `caller` under the gateway's rules; `target` is the server's protected resource. */
export async function guarded(c: Context<AppEnv>, server: McpServer, caller: Caller, target: ProtectedResource): Promise<Response> {
  const request = c.req.raw;
  const binding = { grantId: caller.grantId, server: server.name };
  const key = await gatewaySessionKey(c.env);
  const presented = request.headers.get("Mcp-Session-Id");
  const sessionId = presented === null ? undefined : await openSessionId(key, binding, presented);
  // Never issued, or issued under another grant or server: the origin is not asked (MCP transports answer 404).
  if (presented !== null && sessionId === undefined) {
    noteFailure(c, "session_not_found", "session id not issued under this grant");
    return rpcError(c, 404, -32001, "Session not found");
  }
  let body: BodyInit | null = request.body;
  let plan: RequestPlan = { kind: "forward", refused: [], listsTools: false };
  let tools: string[] = [];
  if (request.method === "POST") {
    let text: string;
    try {
      text = await readText(c, MAX_BODY_BYTES);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      noteFailure(c, err.code, err.description);
      return rpcError(c, err.status === 413 ? 413 : 400, -32700, `Parse error: ${err.description}`);
    }
    body = text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    tools = calledTools(parsed);
    plan = planRequest(server.tools, caller.scopes, parsed, { method: request.headers.get("Mcp-Method") ?? undefined, name: request.headers.get("Mcp-Name") ?? undefined });
    if (plan.kind === "mismatch") {
      noteFailure(c, "header_mismatch", plan.reason);
      return rpcError(c, 400, HEADER_MISMATCH, `Header mismatch: ${plan.reason}`);
    }
    if (plan.kind === "step-up") {
      const err = new OAuthError("insufficient_scope", `the tool ${plan.tool} needs the scope ${plan.scope}`, { reason: "tool_scope" });
      noteFailure(c, err.code, err.reason);
      return c.json(err.toJSON(), 403, { "WWW-Authenticate": bearerChallenge(c, err, { ...target, scopes: [plan.scope] }) });
    }
    if (plan.kind === "answer") {
      noteFailure(c, "tool_refused", "tool outside the server's policy");
      if (plan.refused.length === 0) return c.body(null, 202);
      return c.json(Array.isArray(parsed) ? plan.refused : plan.refused[0], 200);
    }
    if (plan.replaced !== undefined) body = JSON.stringify(plan.replaced);
  }
  const response = await forward(c, server, caller, { body, sessionId });
  // Use is what the origin served: a refusal, or an origin that failed (502/504), counts for nobody.
  if (response.status < 500) countUse(c, caller, { server: server.path, tools });
  // `forward` built this response and its headers itself, so they are changed in place rather than copied again.
  const headers = response.headers;
  const issued = headers.get("Mcp-Session-Id");
  if (issued !== null) headers.set("Mcp-Session-Id", await bindSessionId(key, binding, issued));
  const refused = plan.kind === "forward" ? plan.refused : [];
  if (!hasToolPolicy(server.tools) || !response.ok || !response.body) {
    if (response.status === 202 && refused.length > 0) return c.json(refused, 200);
    return response;
  }
  const type = headers.get("Content-Type") ?? "";
  if (type.startsWith("text/event-stream")) {
    headers.delete("Content-Length");
    const notJsonRpc = { jsonrpc: "2.0", id: null, error: { code: -32000, message: `${server.label} sent an event that is not JSON-RPC` } };
    const rewrite = (data: unknown) => (data === undefined ? notJsonRpc : filterMessage(server.tools, caller.scopes, data));
    return new Response(response.body.pipeThrough(sseRewriter(rewrite, refused)), { status: response.status, headers });
  }
  if (plan.kind === "forward" && (plan.listsTools || refused.length > 0)) return filteredJson(c, server, caller, response, headers, refused);
  return response;
}

/** A JSON answer that must be read: its tools/list results filtered, Gatehouse's answers to refused calls added. */
async function filteredJson(c: Context<AppEnv>, server: McpServer, caller: Caller, response: Response, headers: Headers, refused: ErrorMessage[]): Promise<Response> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await response.text());
  } catch {
    parsed = undefined;
  }
  const filtered = filterBody(server.tools, caller.scopes, parsed);
  if (filtered === undefined) return originFailure(c, 502, "origin_not_jsonrpc", `${server.label} answered with a body that is not JSON-RPC`);
  headers.delete("Content-Length");
  const answer = Array.isArray(filtered) ? [...filtered, ...refused] : filtered;
  return new Response(JSON.stringify(answer), { status: response.status, headers });
}
