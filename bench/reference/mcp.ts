// The references' /mcp handler (bench/reference/ and bench/reference-upstream/): Gatehouse's built-in one line for
// line — one McpServer per request with the same validator and the same tools as Gatehouse's default /mcp lists
// (`whoami`, and the definitions of `upstream_userinfo` and `submit_feedback`, which the references have nothing to
// serve with) — so that the bench compares what each Worker does around it.
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { FEEDBACK_TOOL, UPSTREAM_USERINFO_TOOL } from "../../src/mcp/tools/definitions";
import { registerWhoami } from "../../src/mcp/tools/whoami";
import { ValidatorOnFirstUse } from "../../src/mcp/validator";

/** Answers a streamable HTTP request as the server `name`: POST is JSON-RPC, anything else 405. */
export async function serveMcp(name: string, request: Request, authInfo: AuthInfo | undefined): Promise<Response> {
  if (request.method !== "POST") return Response.json({ jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null }, { status: 405 });
  const server = new McpServer({ name, version: "0.1.0" }, { jsonSchemaValidator: new ValidatorOnFirstUse() });
  // The references have no vault: no linked providers to list.
  registerWhoami(server, { linkedProviders: async () => [] });
  server.registerTool(UPSTREAM_USERINFO_TOOL.name, UPSTREAM_USERINFO_TOOL.definition, unserved);
  server.registerTool(FEEDBACK_TOOL.name, FEEDBACK_TOOL.definition, unserved);
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize: 1024 * 1024 });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request, { authInfo });
  } finally {
    await server.close();
  }
}

function unserved() {
  return { isError: true, content: [{ type: "text" as const, text: "This reference does not serve this tool." }] };
}
