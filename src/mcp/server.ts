// Builds the MCP server and registers its tools. One server per request: the transport is stateless.
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Config } from "../config";
import { registerWhoami } from "./tools/whoami";

/** Reported in `initialize` as `serverInfo.version`. */
const SERVER_VERSION = "0.1.0";

/** A fresh MCP server with every tool registered. */
export function createMcpServer(config: Config): McpServer {
  const server = new McpServer({ name: "gatehouse", title: config.branding.serviceName, version: SERVER_VERSION });
  registerWhoami(server);
  return server;
}
