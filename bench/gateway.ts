// The gateway scenario (issue 15): `tools/list` through Gatehouse's /mcp/<name> to a local Node origin (the MCP SDK
// server, stateless with JSON responses, as a fair floor) against the same origin called directly, measured in
// alternating rounds like the side-by-side scenarios. The direct calls carry no token: the difference is everything
// the gateway adds (token verification, the identity assertion, the proxy hop through workerd). Gatehouse's own /mcp
// with a token runs in the same rounds, so the Worker's own cost in local workerd is visible beside it.
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { markdownTable, round1 } from "./compare";
import type { HttpClient } from "./http";
import { type LoadLimits, type LoadResult, type Operation, runLoad, type Summary, summarize } from "./load";
import { signInAt, toolsList } from "./oauth-client";
import { nextEmail } from "./scenarios";

/** The one tool the origin lists: tools/list must name it on both paths. */
const TOOL = "echo";
/** The server's name in MCP_SERVERS, so its path is /mcp/bench. */
export const GATEWAY_SERVER = "bench";

export interface BenchOrigin {
  url: string;
  stop: () => Promise<void>;
}

/** The SDK's stateless pattern: a new server and transport for every request, answered with one JSON body. */
export async function startBenchOrigin(port: number): Promise<BenchOrigin> {
  const http = createServer(async (req, res) => {
    const server = new McpServer({ name: "bench-origin", version: "1.0.0" });
    server.registerTool(TOOL, { description: "Echoes its text" }, async () => ({ content: [{ type: "text", text: "echo" }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve, reject) => http.once("error", reject).listen(port, "127.0.0.1", resolve));
  const stop = async () => {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  };
  return { url: `http://127.0.0.1:${port}/mcp`, stop };
}

type Path = "direct" | "gateway" | "own";

export interface GatewayResult {
  direct: Summary;
  gateway: Summary;
  /** Gatehouse's own /mcp tools/list with a token: the same Worker without the hop, for context. */
  own: Summary;
  rounds: Record<Path, number[]>;
}

export interface GatewayOptions extends LoadLimits {
  rounds: number;
  warmupMs: number;
}

/** One sign-in per slot for the gateway's server and for /mcp, then warm-up and alternating rounds: direct, gateway, own, … */
export async function measureGateway(http: HttpClient, gatehouseBase: string, origin: BenchOrigin, options: GatewayOptions): Promise<GatewayResult> {
  const resource = `${gatehouseBase}/mcp/${GATEWAY_SERVER}`;
  const slots = Array.from({ length: options.concurrency });
  const [gatewayTokens, ownTokens] = await Promise.all([
    Promise.all(slots.map(() => signInAt(http, gatehouseBase, nextEmail(), { resource }))),
    Promise.all(slots.map(() => signInAt(http, gatehouseBase, nextEmail()))),
  ]);
  const operations: Record<Path, Operation> = {
    direct: () => toolsList(http, origin.url, undefined, TOOL),
    gateway: (slot) => toolsList(http, resource, gatewayTokens[slot]?.tokens.access_token, TOOL),
    own: (slot) => toolsList(http, `${gatehouseBase}/mcp`, ownTokens[slot]?.tokens.access_token),
  };
  const paths = Object.keys(operations) as Path[];
  for (const path of paths) await runLoad(operations[path], { ...options, durationMs: options.warmupMs });
  const results: Record<Path, LoadResult[]> = { direct: [], gateway: [], own: [] };
  for (let round = 0; round < options.rounds; round++) {
    for (const path of paths) results[path].push(await runLoad(operations[path], options));
  }
  const rps = (r: LoadResult) => round1((r.ops * 1000) / r.elapsedMs);
  return {
    direct: summarize(results.direct),
    gateway: summarize(results.gateway),
    own: summarize(results.own),
    rounds: { direct: results.direct.map(rps), gateway: results.gateway.map(rps), own: results.own.map(rps) },
  };
}

/** The comparison as a Markdown table: both paths, what the gateway adds, and Gatehouse's own /mcp for context. */
export function renderGatewayTable({ direct, gateway, own }: GatewayResult): string {
  const cells = (s: Summary) => [s.rps.toFixed(1), s.p50.toFixed(2), s.p99.toFixed(2), String(s.errors)];
  const rows = [
    ["(g) tools/list, origin called directly", ...cells(direct)],
    [`(g) tools/list through Gatehouse /mcp/${GATEWAY_SERVER}`, ...cells(gateway)],
    ["(g) added by the gateway", `× ${(gateway.rps / direct.rps).toFixed(2)}`, `+${(gateway.p50 - direct.p50).toFixed(2)}`, `+${(gateway.p99 - direct.p99).toFixed(2)}`, ""],
    ["(g) context: Gatehouse's own /mcp, token, no hop", ...cells(own)],
  ];
  return markdownTable(["gateway scenario", "ops/s", "p50 ms", "p99 ms", "errors"], rows);
}
