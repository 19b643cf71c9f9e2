// The gateway scenario (issue 15): `tools/list` through Gatehouse's /mcp/<name> to a local Node origin (the MCP SDK
// server, stateless with JSON responses, as a fair floor) against the same origin called directly, measured in
// alternating rounds like the side-by-side scenarios. The direct calls carry no token: the difference is everything
// the gateway adds (token verification, the identity assertion, the proxy hop through workerd). Gatehouse's own /mcp
// with a token runs in the same rounds, so the Worker's own cost in local workerd is visible beside it.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { cpuCell, markdownTable, round1 } from "./compare";
import type { CpuSource } from "./cpu";
import type { HttpClient } from "./http";
import { formatRatio, type LoadLimits, type LoadResult, type Operation, ratio, runLoad, type Summary, summarize } from "./load";
import { signInAt, toolsList } from "./oauth-client";
import { nextEmail } from "./scenarios";

/** The one tool the origin lists: tools/list must name it on both paths. */
const TOOL = "echo";
/** The server's name in MCP_SERVERS, so its path is /mcp/bench. */
export const GATEWAY_SERVER = "bench";

export interface BenchOrigin {
  url: string;
  /** Its Node process, whose CPU time is the origin's. */
  pid: number;
  stop: () => Promise<void>;
}

/** The SDK's stateless pattern: a new server and transport for every request, answered with one JSON body. */
export async function serveOrigin(port: number): Promise<() => Promise<void>> {
  const http = createServer(async (req, res) => {
    const server = new McpServer({ name: "bench-origin", version: "1.0.0" });
    server.registerTool(TOOL, { description: "Echoes its text" }, async () => ({ content: [{ type: "text", text: "echo" }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve, reject) => http.once("error", reject).listen(port, "127.0.0.1", resolve));
  return async () => {
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  };
}

/**
 * Starts the origin in its own Node process (bench/origin-main.ts, built beside the bench by bench/run.mjs), so its
 * CPU time is its own and not the load generator's; resolves once it listens.
 */
export async function startBenchOrigin(port: number): Promise<BenchOrigin> {
  const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), "origin-main.mjs"), String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  const kill = () => child.kill();
  // An interrupted bench exits without awaiting its finally blocks: the origin goes with it.
  process.once("exit", kill);
  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill();
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the bench origin exited (${code}) before listening on ${port}`)));
      child.stdout?.on("data", (d: Buffer) => d.toString().includes("listening") && resolve());
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}/mcp`, pid: child.pid ?? 0, stop };
}

type Path = "direct" | "floor" | "floorLog" | "gateway" | "own";

export interface GatewayResult {
  direct: Summary;
  /** A Worker that only forwards to the origin (bench/floor/), in the same local `wrangler dev`: the platform's floor. */
  floor: Summary;
  /** The same floor Worker writing one request log line (console.log) per request. */
  floorLog: Summary;
  gateway: Summary;
  /** Gatehouse's own /mcp tools/list with a token: the same Worker without the hop, for context. */
  own: Summary;
  rounds: Record<Path, number[]>;
}

export interface GatewayOptions extends LoadLimits {
  rounds: number;
  warmupMs: number;
}

export interface GatewayServers {
  gatehouse: { url: string; pgid: number };
  floor: { url: string; pgid: number };
  origin: BenchOrigin;
}

/** One sign-in per slot for the gateway's server and for /mcp, then warm-up and alternating rounds: direct, floor, gateway, own, … */
export async function measureGateway(http: HttpClient, { gatehouse, floor, origin }: GatewayServers, options: GatewayOptions): Promise<GatewayResult> {
  const gatehouseBase = gatehouse.url;
  const resource = `${gatehouseBase}/mcp/${GATEWAY_SERVER}`;
  const slots = Array.from({ length: options.concurrency });
  const [gatewayTokens, ownTokens] = await Promise.all([
    Promise.all(slots.map(() => signInAt(http, gatehouseBase, nextEmail(), { resource }))),
    Promise.all(slots.map(() => signInAt(http, gatehouseBase, nextEmail()))),
  ]);
  const operations: Record<Path, Operation> = {
    direct: () => toolsList(http, origin.url, undefined, TOOL),
    floor: () => toolsList(http, `${floor.url}/proxy`, undefined, TOOL),
    floorLog: () => toolsList(http, `${floor.url}/proxy?log`, undefined, TOOL),
    gateway: (slot) => toolsList(http, resource, gatewayTokens[slot]?.tokens.access_token, TOOL),
    own: (slot) => toolsList(http, `${gatehouseBase}/mcp`, ownTokens[slot]?.tokens.access_token),
  };
  // The direct path's CPU is the origin process's; the others' that of the Worker's `wrangler dev`.
  const cpu: Record<Path, CpuSource> = { direct: { pid: origin.pid }, floor: { pgid: floor.pgid }, floorLog: { pgid: floor.pgid }, gateway: { pgid: gatehouse.pgid }, own: { pgid: gatehouse.pgid } };
  const paths = Object.keys(operations) as Path[];
  for (const path of paths) await runLoad(operations[path], { ...options, durationMs: options.warmupMs });
  const results: Record<Path, LoadResult[]> = { direct: [], floor: [], floorLog: [], gateway: [], own: [] };
  for (let round = 0; round < options.rounds; round++) {
    for (const path of paths) results[path].push(await runLoad(operations[path], options, cpu[path]));
  }
  const rps = (r: LoadResult) => round1((r.ops * 1000) / r.elapsedMs);
  return {
    direct: summarize(results.direct),
    floor: summarize(results.floor),
    floorLog: summarize(results.floorLog),
    gateway: summarize(results.gateway),
    own: summarize(results.own),
    rounds: { direct: results.direct.map(rps), floor: results.floor.map(rps), floorLog: results.floorLog.map(rps), gateway: results.gateway.map(rps), own: results.own.map(rps) },
  };
}

/** The Worker's CPU per operation with all of `wrangler dev` (its proxy and Node process) for a path, ms. */
export function devCpu(s: Summary): number | undefined {
  return s.cpuPerOp && s.cpuPerOp.worker + s.cpuPerOp.proxy + s.cpuPerOp.wrangler;
}

/**
 * The throughput the gateway keeps when CPU is what limits it: the origin's CPU per request over the origin's plus
 * the Worker's (`base`'s Worker when given: then what Gatehouse keeps of the floor Worker's throughput).
 */
export function cpuBoundThroughput({ direct, gateway, floor }: GatewayResult, overFloor: boolean): number | undefined {
  const origin = direct.cpuPerOp?.worker;
  const through = gateway.cpuPerOp?.worker;
  const base = overFloor ? floor.cpuPerOp?.worker : 0;
  if (origin === undefined || through === undefined || base === undefined) return undefined;
  return (origin + base) / (origin + through);
}

/** The comparison as a Markdown table: both paths, the platform's floor, what each adds, and Gatehouse's own /mcp for context. */
export function renderGatewayTable(result: GatewayResult): string {
  const { direct, floor, floorLog, gateway, own } = result;
  const ms = (n: number | undefined) => (n === undefined ? "n/a" : n.toFixed(2));
  const cells = (s: Summary) => [s.rps.toFixed(1), s.p50.toFixed(2), s.p99.toFixed(2), cpuCell(s), String(s.errors)];
  const plus = (n: number | undefined) => (n === undefined ? "n/a" : `${n < 0 ? "" : "+"}${n.toFixed(2)}`);
  const added = (over: Summary, name: string, overFloor: boolean) => {
    const base = overFloor ? over.cpuPerOp?.worker : 0;
    const cpu = gateway.cpuPerOp && base !== undefined ? gateway.cpuPerOp.worker - base : undefined;
    const all = devCpu(gateway) !== undefined && (overFloor ? devCpu(over) : 0) !== undefined ? (devCpu(gateway) ?? 0) - (overFloor ? (devCpu(over) ?? 0) : 0) : undefined;
    const rate = formatRatio(ratio(gateway.rps, over.rps, gateway.perRound.map((r) => r.rps), over.perRound.map((r) => r.rps)));
    return [name, `× ${rate}`, plus(gateway.p50 - over.p50), plus(gateway.p99 - over.p99), cpu === undefined ? "n/a" : `${plus(cpu)} (${plus(all)})`, ""];
  };
  const rows = [
    ["(g) tools/list, origin called directly (CPU: the origin process)", ...cells(direct)],
    ["(g0) floor: a Worker that only fetch()es the origin", ...cells(floor)],
    ["(g0) the same floor Worker, writing one log line per request (REQUEST_LOG=all)", ...cells(floorLog)],
    [`(g) tools/list through Gatehouse /mcp/${GATEWAY_SERVER}`, ...cells(gateway)],
    added(direct, "(g) added by the gateway, over direct", false),
    added(floor, "(g) added by Gatehouse, over the floor", true),
    ["(g) context: Gatehouse's own /mcp, token, no hop", ...cells(own)],
  ];
  const table = markdownTable(["gateway scenario", "ops/s", "p50 ms", "p99 ms", "CPU ms/op", "errors"], rows);
  const keep = cpuBoundThroughput(result, false);
  const keepOverFloor = cpuBoundThroughput(result, true);
  const note = `CPU-bound throughput kept (origin CPU / (origin + the Worker's CPU)): ${keep === undefined ? "n/a" : `× ${keep.toFixed(2)}`} of direct; ${keepOverFloor === undefined ? "n/a" : `× ${keepOverFloor.toFixed(2)}`} of the floor Worker's (origin ${ms(direct.cpuPerOp?.worker)} ms/op).`;
  return `${table}\n\n${note}`;
}
