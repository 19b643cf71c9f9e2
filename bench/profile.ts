// `npm run bench:profile -- --path gateway` (issue 17): one path of the bench under load on a local `wrangler dev`
// while workerd's inspector records a CPU profile (Chrome DevTools protocol, Profiler.start/stop through wrangler's
// inspector port), and the CPU per operation of each process from /proc. Prints the functions with the most self
// time and writes the profile to bench/results/<path>.cpuprofile (DevTools' Performance panel opens it).
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuDelta, groupCpu, ownCpu, ROLES } from "./cpu";
import { GATEWAY_SERVER, startBenchOrigin } from "./gateway";
import { createClient } from "./http";
import { runLoad, summarize, type Operation } from "./load";
import { getDocument, refresh, signInAt, signInUpstream, toolsList } from "./oauth-client";
import { ACCOUNT, startUpstream } from "../test/e2e/upstream-provider";
import { nextEmail } from "./scenarios";
import { startFloor, startGatehouse } from "./servers";

const { values: args } = parseArgs({
  options: {
    path: { type: "string", default: "gateway" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "8" },
    port: { type: "string", default: "9100" },
    profile: { type: "string", default: "true" },
    vars: { type: "string", default: "{}" },
  },
});
const PATHS = ["gateway", "own", "open", "health", "direct", "floor", "floor-proxy", "refresh", "signin"] as const;
type Path = (typeof PATHS)[number];
const path = args.path as Path;
if (!PATHS.includes(path)) throw new Error(`--path is one of ${PATHS.join(", ")}`);
const port = Number(args.port);
const concurrency = Number(args.concurrency);
const durationMs = Number(args.seconds) * 1000;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** A Chrome DevTools protocol session over the inspector's websocket. */
async function inspector(inspectorPort: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on ${inspectorPort}`);
  // Miniflare's inspector proxy accepts only a local or DevTools Origin.
  const ws = new WebSocket(url, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let next = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (message.id === undefined) return;
    pending.get(message.id)?.(message.error ? Promise.reject(new Error(JSON.stringify(message.error))) : message.result);
    pending.delete(message.id);
  };
  const send = <T>(method: string, params: object = {}): Promise<T> =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve as (r: unknown) => void);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

/** The functions with the most self time, and the share of all samples each takes. */
function topSelf(profile: Profile, count: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFrame = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const where = f.url ? `${f.url.replace(/^.*\//, "")}:${f.lineNumber + 1}` : "";
    const key = `${f.functionName || "(anonymous)"} ${where}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
  }
  return [...byFrame.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}

async function main() {
  process.env.WRANGLER_LOG = "warn";
  const origin = await startBenchOrigin(port + 14);
  const servers = [{ name: GATEWAY_SERVER, label: "Bench origin", origin: origin.url }];
  // `signin`: (d3)'s whole sign-in, at node-oidc-provider (this process) as the upstream.
  const upstreamClient = { clientId: "gatehouse-profile", clientSecret: "profile-upstream-secret-long-enough-0123456789" };
  const upstream = path === "signin" ? await startUpstream(`http://localhost:${port}`, upstreamClient) : undefined;
  const upstreamVars: Record<string, string> = upstream ? { DEV_IDP: "false", UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_CLIENT_ID: upstreamClient.clientId, UPSTREAM_CLIENT_SECRET: upstreamClient.clientSecret } : {};
  const server = path.startsWith("floor")
    ? await startFloor(port, origin.url)
    : await startGatehouse(port, { MCP_SERVERS: JSON.stringify(servers), ...upstreamVars, ...(JSON.parse(args.vars) as Record<string, string>) });
  const http = createClient(concurrency);
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void server.stop().finally(() => process.exit(130)));
  try {
    const resource = `${server.url}/mcp/${GATEWAY_SERVER}`;
    const slots = Array.from({ length: concurrency });
    const tokens = path === "gateway" || path === "own" || path === "refresh" ? await Promise.all(slots.map(() => signInAt(http, server.url, nextEmail(), path === "gateway" ? { resource } : {}))) : [];
    const operations: Record<Path, Operation> = {
      gateway: (slot) => toolsList(http, resource, tokens[slot]?.tokens.access_token, "echo"),
      own: (slot) => toolsList(http, `${server.url}/mcp`, tokens[slot]?.tokens.access_token),
      open: () => toolsList(http, `${server.url}/mcp`),
      health: () => getDocument(http, `${server.url}/healthz`),
      direct: () => toolsList(http, origin.url, undefined, "echo"),
      floor: () => getDocument(http, `${server.url}/healthz`),
      "floor-proxy": () => toolsList(http, `${server.url}/proxy`, undefined, "echo"),
      // Each slot rotates its own chain, always presenting the newest refresh token.
      refresh: async (slot) => {
        const current = tokens[slot];
        if (!current) throw new Error(`no grant for slot ${slot}`);
        tokens[slot] = await refresh(http, server.url, current);
      },
      signin: async () => {
        await signInUpstream(http, server.url, `${server.url}/mcp`, { fill: { login: ACCOUNT.login, password: "bench" }, choose: [] });
      },
    };
    const operation = operations[path];
    await runLoad(operation, { concurrency, durationMs: 1000, maxOps: 1e9 });
    const session = args.profile === "true" ? await inspector(port + 1000) : undefined;
    if (session) {
      await session.send("Profiler.enable");
      await session.send("Profiler.setSamplingInterval", { interval: 200 });
      await session.send("Profiler.start");
    }
    const before = groupCpu(server.pgid);
    const own0 = ownCpu();
    const result = await runLoad(operation, { concurrency, durationMs, maxOps: 1e9 });
    const own = ownCpu() - own0;
    const after = groupCpu(server.pgid);
    const summary = summarize([result]);
    console.log(`${path}: ${summary.ops} ops, ${summary.rps.toFixed(1)} ops/s, p50 ${summary.p50.toFixed(2)} ms, p99 ${summary.p99.toFixed(2)} ms, ${summary.errors} errors ${summary.errorSamples[0] ?? ""}`);
    if (before && after) {
      const cpu = cpuDelta(after, before);
      console.log(`CPU per op (ms): ${ROLES.map((r) => `${r} ${(cpu[r] / summary.ops).toFixed(3)}`).join(", ")}, bench process ${(own / summary.ops).toFixed(3)}`);
    }
    if (session) {
      const { profile } = await session.send<{ profile: Profile }>("Profiler.stop");
      session.close();
      mkdirSync("bench/results", { recursive: true });
      const file = join("bench/results", `${path}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      // The profile's line numbers point into wrangler's dev bundle, which it removes on stop: keep a copy beside it.
      for (const dir of readdirSync(".wrangler/tmp")) {
        const bundle = join(".wrangler/tmp", dir, "worker.js");
        if (dir.startsWith("dev-") && existsSync(bundle)) copyFileSync(bundle, join("bench/results", `${path}.worker.js`));
      }
      console.log(`\nself time (sampled in the Worker's isolate; ${file}):`);
      for (const line of topSelf(profile, 40)) console.log(line);
    }
  } finally {
    http.close();
    await server.stop();
    await origin.stop();
    upstream?.server.closeAllConnections();
    upstream?.server.close();
  }
}

await main();
