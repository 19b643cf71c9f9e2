// The built-in MCP server: the SDK's McpServer with `whoami` and the deployer's tools over streamable HTTP,
// stateless (one server per request, one JSON response per POST).
// @see MCP specification, basic/transports (Streamable HTTP)
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { loadConfig } from "../config";
import type { Env } from "../env";
import type { Caller } from "../identity";
import { toAuthInfo } from "./auth-info";
import { bearerToken } from "./bearer";
import { registerUpstreamUserinfo } from "./tools/upstream-userinfo";
import { registerFeedback } from "./tools/feedback";
import { registerWhoami } from "./tools/whoami";
import type { UpstreamAccess } from "./upstream-token";
import { ValidatorOnFirstUse } from "./validator";

/** Reported in `initialize` as `serverInfo.version`. */
const SERVER_VERSION = "0.1.0";
/** Largest JSON-RPC body read; the transport answers 413 above it. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What one `/mcp` request runs with. */
export interface McpContext<E extends Env = Env> extends UpstreamAccess {
  /** The verified caller; `undefined` only for an anonymous request (REQUIRE_AUTH=false). */
  caller: Caller | undefined;
  /** The Worker's bindings and variables. */
  env: E;
  /** The request's execution context, for `waitUntil`. */
  ctx: ExecutionContext;
}

/** Registers tools on the request's server; their handlers close over `context`. */
export type RegisterTools<E extends Env = Env> = (server: McpServer, context: McpContext<E>) => void;

/** Answers an authenticated `/mcp` request (GET, POST or DELETE). */
export type McpHandler<E extends Env = Env> = (request: Request, context: McpContext<E>) => Response | Promise<Response>;

/** The built-in server's tools: `whoami` unless turned off, then the ones `tools` registers. */
export interface ServerTools<E extends Env = Env> {
  tools?: RegisterTools<E>;
  whoami: boolean;
}

/** The built-in server as an `McpHandler`: POST is JSON-RPC; GET and DELETE answer 405. */
export function serveMcp<E extends Env>(tools: ServerTools<E>): McpHandler<E> {
  return async (request, context) => {
    // No server-initiated stream and no sessions: the transport spec allows 405 for GET, and DELETE has nothing to end.
    if (request.method !== "POST") return Response.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null }, { status: 405, headers: { Allow: "POST" } });
    const config = loadConfig(context.env);
    const token = bearerToken(request.headers.get("Authorization") ?? undefined);
    const authInfo = context.caller && token ? toAuthInfo(config, token, context.caller) : undefined;
    const server = new McpServer({ name: "gatehouse", title: config.branding.serviceName, version: SERVER_VERSION }, { jsonSchemaValidator: new ValidatorOnFirstUse() });
    if (tools.whoami) {
      registerWhoami(server, context);
      registerUpstreamUserinfo(server, context, config);
    }
    if (config.feedbackTool) registerFeedback(server, config, { db: context.env.DB, ctx: context.ctx });
    tools.tools?.(server, context);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: MAX_BODY_BYTES });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { authInfo });
    } finally {
      await server.close();
    }
  };
}
