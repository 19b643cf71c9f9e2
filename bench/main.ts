// `npm run bench` (via bench/run.mjs): Gatehouse side by side with @cloudflare/workers-oauth-provider, the scale
// checks and the bundle budget; prints one table and writes bench/results/<time>.json. See bench/README.md.
import { cpus, loadavg, release, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runConsoleBench } from "./console";
import { BUNDLE_BUDGET_GZIP, type BundleSize, kib, measureBundle } from "./bundle";
import { compareScenario, cpuCell, markdownTable, renderTable, round1, type ScenarioResult, sideRatio } from "./compare";
import type { Summary } from "./load";
import { cpuBoundThroughput, GATEWAY_SERVER, type GatewayResult, measureGateway, renderGatewayTable, startBenchOrigin } from "./gateway";
import { createClient, type HttpClient } from "./http";
import { listedToolNames, signInAt, toolsList } from "./oauth-client";
import { GrantPool, measureRefreshTracks, measureSweep, type RefreshAtScale, type SweepResult } from "./scale";
import { ACCOUNT, startUpstream } from "../test/e2e/upstream-provider";
import { nextEmail, SCENARIOS, type Side, signInWithUpstream } from "./scenarios";
import { type Server, startFloor, startGatehouse, startReference, startReferenceUpstream } from "./servers";
import { type StepCpu, stepBreakdown } from "./steps";
import { measureVault, renderVaultTable, type VaultResult } from "./vault";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    "round-ms": { type: "string", default: "2000" },
    "warmup-ms": { type: "string", default: "1000" },
    "max-ops": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "8" },
    only: { type: "string" },
    "scale-grants": { type: "string", default: "10000" },
    "scale-ms": { type: "string", default: "5000" },
    "scale-rounds": { type: "string", default: "3" },
    "sweep-rows": { type: "string", default: "10000" },
    port: { type: "string", default: "8870" },
    "step-signins": { type: "string", default: "40" },
    inspector: { type: "boolean", default: false },
  },
});
const int = (name: keyof typeof args): number => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
};
const options = {
  rounds: Math.max(1, int("rounds")),
  roundMs: int("round-ms"),
  warmupMs: int("warmup-ms"),
  maxOps: int("max-ops"),
  concurrency: Math.max(1, int("concurrency")),
  only: args.only?.split(",").map((s) => s.trim()),
  scaleGrants: int("scale-grants"),
  scaleMs: int("scale-ms"),
  scaleRounds: Math.max(1, int("scale-rounds")),
  sweepRows: int("sweep-rows"),
  port: int("port"),
  stepSignIns: int("step-signins"),
  inspector: args.inspector ?? false,
};
const FEW_GRANTS = 10;

const log = (line: string) => console.log(line);
const running = new Set<Server>();
const starting = new Set<Promise<Server>>();
const clients = new Set<HttpClient>();

/** Stops every server, including one still starting (an interrupt may come while wrangler boots). */
async function stopAll(): Promise<void> {
  await Promise.allSettled([...starting]);
  for (const client of clients) client.close();
  clients.clear();
  await Promise.all([...running].map((server) => server.stop()));
  running.clear();
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the servers…`);
    void stopAll().finally(() => process.exit(130));
  });
}

/**
 * Starts a server with wrangler's log level set: `warn` under load, because at its default level wrangler reports every request
 * to its Node process, which takes a large share of the 2 cores; `log` where the bench reads the Worker's console output.
 */
async function start<T extends Server>(level: "warn" | "log", launch: () => Promise<T>): Promise<T> {
  process.env.WRANGLER_LOG = level;
  // With wrangler's inspector attached, every console.log is serialised for DevTools with its stack (about 0.6 ms in
  // the Worker's workerd per line), which no deployed Worker pays; without it the lines come through workerd's
  // structured stdout, as in production. wrangler turns its inspector off in a VS Code debug terminal, which this
  // variable marks; `--inspector` keeps it.
  if (options.inspector) delete process.env.VSCODE_INSPECTOR_OPTIONS;
  else process.env.VSCODE_INSPECTOR_OPTIONS = "{}";
  const launching = launch();
  starting.add(launching);
  // Registered before anyone else awaits it, so `stopAll` finds the server in `running` once this settles.
  launching.then((server) => running.add(server)).finally(() => starting.delete(launching)).catch(() => {});
  return launching;
}

async function stop(server: Server): Promise<void> {
  running.delete(server);
  await server.stop();
}

function client(): HttpClient {
  const http = createClient(options.concurrency);
  clients.add(http);
  return http;
}

function machine() {
  const wrangler = JSON.parse(readFileSync("node_modules/wrangler/package.json", "utf8")) as { version: string };
  const provider = JSON.parse(readFileSync("node_modules/@cloudflare/workers-oauth-provider/package.json", "utf8")) as { version: string };
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    /** The 1, 5 and 15 minute load averages when the run started: other work on the machine moves throughput, not CPU per operation. */
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
    node: process.version,
    wrangler: wrangler.version,
    workersOauthProvider: provider.version,
  };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const host = machine();
  log(`Gatehouse bench — ${host.cores} cores (${host.cpu}), Node ${host.node}, wrangler ${host.wrangler} (local workerd), reference @cloudflare/workers-oauth-provider ${host.workersOauthProvider}`);
  log(`concurrency ${options.concurrency}, ${options.rounds} rounds of ${options.roundMs} ms per side after a ${options.warmupMs} ms warm-up, alternating Gatehouse/reference, wrangler's inspector ${options.inspector ? "attached" : "off"}\n`);

  const bundle: Record<"gatehouse" | "reference", BundleSize> = { gatehouse: measureBundle(), reference: measureBundle("bench/reference/wrangler.toml") };
  const bundleLine = (name: string, b: BundleSize) => `${name}: ${kib(b.bytes)}, gzip ${kib(b.gzipBytes)}`;
  log(`bundle (wrangler deploy --dry-run): ${bundleLine("Gatehouse", bundle.gatehouse)} (budget ${kib(BUNDLE_BUDGET_GZIP)} gzip); ${bundleLine("reference", bundle.reference)}\n`);

  const selected = SCENARIOS.filter((s) => !options.only || options.only.includes(s.id));
  const results = selected.length > 0 ? await runSideBySide(selected) : [];
  let signInSteps: Record<"gatehouse" | "reference", StepCpu[]> | undefined;
  if (!options.only || options.only.includes("d3")) {
    const d3 = await runSignInWithUpstream();
    results.push(d3.result);
    signInSteps = d3.steps;
  }

  const table = renderTable(results);
  log(`\n${table}\n`);
  log("ops/s: operations per second at the fixed concurrency; p50/p99: latency of one operation in ms (a sign-in is one operation);");
  log("CPU ms/op: user + system time of the Worker's workerd per operation, from /proc (in brackets: all of wrangler dev, its proxy workerd and Node process too);");
  log("G/R: Gatehouse divided by reference over all rounds, in brackets the least and most of one round (rounds alternate, so each pair ran back to back);");
  log("CPU below 1, p50 below 1 and ops/s above 1 mean Gatehouse is cheaper or faster. Targets are judged on CPU per operation.\n");
  const errors = results.flatMap((r) => [r.gatehouse, r.reference]).reduce((sum, s) => sum + (s.summary?.errors ?? 0), 0);
  for (const r of results) {
    for (const [name, side] of [["Gatehouse", r.gatehouse], ["reference", r.reference]] as const) {
      for (const sample of side.summary?.errorSamples ?? []) log(`error (${r.id}) ${name}: ${sample}`);
    }
  }

  let gateway: GatewayResult | undefined;
  if (!options.only || options.only.includes("g")) {
    gateway = await runGateway();
    log(`\n${renderGatewayTable(gateway)}\n`);
    log("(g): the same stateless MCP SDK origin (its own Node process), called directly without a token, through a Worker that only forwards (g0, also with one console.log line per request as Gatehouse writes with REQUEST_LOG=all), and through Gatehouse with a token, in alternating rounds with Gatehouse's own /mcp.");
    log("CPU ms/op: the Worker's workerd per operation (in brackets: all of wrangler dev, its proxy workerd and Node process too); the direct path's is the origin's.");
  }
  let vault: VaultResult | undefined;
  if (!options.only || options.only.includes("v")) {
    vault = await runVault();
    log(`\n${renderVaultTable(vault)}\n`);
    log("(v): oidc-provider (this process) as the upstream; the same origin behind a server with authorization upstream:default and one without.");
  }
  const vaultSummaries = vault ? [vault.identity, vault.served, vault.refreshDue] : [];
  const gatewaySummaries = gateway ? [gateway.direct, gateway.floor, gateway.floorLog, gateway.gateway, gateway.own] : [];
  const gatewayErrors = [...gatewaySummaries, ...vaultSummaries].reduce((sum, s) => sum + s.errors, 0) + (vault ? vault.concurrent.calls - vault.concurrent.succeeded : 0);
  for (const sample of gatewaySummaries.flatMap((s) => s.errorSamples)) log(`error (g): ${sample}`);
  for (const sample of vaultSummaries.flatMap((s) => s.errorSamples)) log(`error (v): ${sample}`);

  let scale: ScaleResult | undefined;
  let sweep: SweepResult | undefined;
  if (options.scaleGrants > 0 || options.sweepRows > 0) ({ scale, sweep } = await runScale());

  if (!options.only || options.only.includes("console")) await runConsoleBench(log);
  const targets = evaluateTargets(results, scale, errors + gatewayErrors, gateway, vault);
  log("\ntargets (issues 5, 15, 16 and 17):");
  for (const t of targets) log(`  ${t.met === undefined ? "n/a " : t.met ? "met " : "MISS"}  ${t.name}: ${t.detail}`);

  mkdirSync("bench/results", { recursive: true });
  const file = join("bench/results", `${startedAt.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ startedAt, machine: { ...host, loadAverageAtEnd: loadavg().map((n) => Math.round(n * 100) / 100) }, options, bundle, scenarios: results, table, signInSteps, gateway, vault, scale, sweep, targets }, null, 2)}\n`);
  log(`\nresults: ${file}`);
  return errors + gatewayErrors > 0 ? 1 : 0;
}

/** The side-by-side scenarios, on a Gatehouse, the reference, and a Gatehouse that asks liveness on every request. */
async function runSideBySide(selected: typeof SCENARIOS): Promise<ScenarioResult[]> {
  // One Gatehouse serves (a) and (b): with REQUIRE_AUTH=false a request with a token is verified exactly as with
  // REQUIRE_AUTH=true, and one without passes anonymously, so auth is the only difference between the two.
  const [gatehouse, reference, strictLiveness] = await Promise.all([
    start("warn", () => startGatehouse(options.port, { REQUIRE_AUTH: "false" })),
    start("warn", () => startReference(options.port + 2)),
    start("warn", () => startGatehouse(options.port + 8, { LIVENESS_CACHE_TTL: "0" })),
  ]);
  const sides: [Side, Side] = [
    { name: "gatehouse", base: gatehouse.url, http: client(), floorMcpPath: "/mcp", hasJwks: true, cpu: { pgid: gatehouse.pgid }, strictLivenessBase: strictLiveness.url, strictLivenessCpu: { pgid: strictLiveness.pgid } },
    { name: "reference", base: reference.url, http: client(), floorMcpPath: "/open/mcp", hasJwks: false, cpu: { pgid: reference.pgid } },
  ];
  await checkTokenPathIsTaken(sides[0]);
  await checkSameTools(sides);

  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    log(`(${scenario.id}) ${scenario.title}…`);
    results.push(await compareScenario(scenario, sides, { ...options, durationMs: options.roundMs, log }));
  }
  await Promise.all([stop(gatehouse), stop(reference), stop(strictLiveness)]);
  return results;
}

/**
 * (d3): the whole sign-in against the same upstream on both sides — node-oidc-provider in this process, one client
 * there with both callbacks — on a Gatehouse whose UPSTREAM_ISSUER it is and on bench/reference-upstream/.
 */
async function runSignInWithUpstream(): Promise<{ result: ScenarioResult; steps?: Record<"gatehouse" | "reference", StepCpu[]> }> {
  const idp = { fill: { login: ACCOUNT.login, password: "bench" }, choose: [], email: ACCOUNT.email };
  const scenario = signInWithUpstream(idp, log);
  log(`(${scenario.id}) ${scenario.title}…`);
  const ports = { gatehouse: options.port + 20, reference: options.port + 22 };
  const upstreamClient = { clientId: "gatehouse-bench-signin", clientSecret: "bench-signin-secret-long-enough-0123456789" };
  const upstream = await startUpstream(`http://localhost:${ports.gatehouse}`, upstreamClient, { redirectUris: [`http://localhost:${ports.gatehouse}/callback`, `http://localhost:${ports.reference}/callback`] });
  try {
    const [gatehouse, reference] = await Promise.all([
      start("warn", () => startGatehouse(ports.gatehouse, { DEV_IDP: "false", UPSTREAM_ISSUER: upstream.issuer, UPSTREAM_CLIENT_ID: upstreamClient.clientId, UPSTREAM_CLIENT_SECRET: upstreamClient.clientSecret })),
      start("warn", () => startReferenceUpstream(ports.reference, { issuer: upstream.issuer, ...upstreamClient })),
    ]);
    try {
      const sides: [Side, Side] = [
        { name: "gatehouse", base: gatehouse.url, http: client(), floorMcpPath: "/mcp", hasJwks: true, cpu: { pgid: gatehouse.pgid } },
        { name: "reference", base: reference.url, http: client(), floorMcpPath: "/open/mcp", hasJwks: false, cpu: { pgid: reference.pgid } },
      ];
      const result = await compareScenario(scenario, sides, { ...options, durationMs: options.roundMs, log });
      if (options.stepSignIns === 0) return { result };
      // Then where the CPU goes: sign-ins one at a time on each side, the Worker's CPU read around every step.
      const steps = { gatehouse: await stepBreakdown(sides[0], idp, options.stepSignIns), reference: await stepBreakdown(sides[1], idp, options.stepSignIns) };
      log(`\n${renderSteps(steps, options.stepSignIns)}\n`);
      return { result, steps };
    } finally {
      await Promise.all([stop(gatehouse), stop(reference)]);
    }
  } finally {
    upstream.server.closeAllConnections();
    await new Promise((resolve) => upstream.server.close(resolve));
  }
}

/** The step breakdown as a Markdown table: the steps both sides have, in the order Gatehouse took them. */
function renderSteps(steps: Record<"gatehouse" | "reference", StepCpu[]>, signIns: number): string {
  const names = [...new Set([...steps.gatehouse, ...steps.reference].map((s) => s.step))];
  const cell = (list: StepCpu[], step: string) => list.find((s) => s.step === step)?.cpuMs.toFixed(2) ?? "–";
  const rows = names.map((step) => [step, cell(steps.gatehouse, step), cell(steps.reference, step)]);
  return markdownTable([`(d3) Worker CPU ms per sign-in, by step (${signIns} sign-ins one at a time)`, "Gatehouse", "reference"], rows);
}

/** With REQUIRE_AUTH=false, a bad token must still be refused, proving (a) runs the verification it claims to. */
async function checkTokenPathIsTaken(side: Side): Promise<void> {
  const res = await side.http.send(`${side.base}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: "Bearer not.a.token" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
  if (res.status !== 401) throw new Error(`Gatehouse with REQUIRE_AUTH=false accepted a bad token (${res.status}): (a) would not measure verification`);
  await toolsList(side.http, `${side.base}/mcp`);
}

/** Both sides' tools/list must list the same tools: each tool's schema is converted on every request. */
async function checkSameTools(sides: [Side, Side]): Promise<void> {
  const [gatehouse, reference] = await Promise.all(sides.map((side) => listedToolNames(side.http, `${side.base}${side.floorMcpPath}`)));
  if (gatehouse?.join() !== reference?.join()) throw new Error(`the two sides list different tools (Gatehouse ${gatehouse?.join(", ")}; reference ${reference?.join(", ")}): (a) and (b) would not compare the same handler`);
}

/** (g): a Gatehouse whose MCP_SERVERS names a local stateless origin, measured through /mcp/bench and directly. */
async function runGateway(): Promise<GatewayResult> {
  log(`(g) tools/list through the gateway vs the origin directly…`);
  const origin = await startBenchOrigin(options.port + 14);
  try {
    const servers = [{ name: GATEWAY_SERVER, label: "Bench origin", origin: origin.url }];
    const [server, floor] = await Promise.all([
      start("warn", () => startGatehouse(options.port + 10, { MCP_SERVERS: JSON.stringify(servers) })),
      start("warn", () => startFloor(options.port + 12, origin.url)),
    ]);
    try {
      return await measureGateway(client(), { gatehouse: server, floor, origin }, { ...options, durationMs: options.roundMs });
    } finally {
      await Promise.all([stop(server), stop(floor)]);
    }
  } finally {
    await origin.stop();
  }
}

/** (v): a Gatehouse whose upstream is oidc-provider, with an identity-only and an upstream:default server on one origin. */
async function runVault(): Promise<VaultResult> {
  log(`(v) the upstream token vault: served, refresh due, ${50} concurrent calls with the token due…`);
  const origin = await startBenchOrigin(options.port + 18);
  try {
    const port = options.port + 16;
    return await measureVault(client(), `http://localhost:${port}`, origin, (vars) => start("warn", () => startGatehouse(port, vars)), { ...options, durationMs: options.roundMs });
  } finally {
    await origin.stop();
  }
}

/** Refresh at FEW_GRANTS and at --scale-grants live grants, then the cron sweep, each on fresh Gatehouses. */
async function runScale(): Promise<{ scale?: ScaleResult; sweep?: SweepResult }> {
  const scale = options.scaleGrants > 0 ? await refreshAtScale() : undefined;
  let sweep: SweepResult | undefined;
  if (options.sweepRows > 0) {
    const server = await start("log", () => startGatehouse(options.port + 6));
    try {
      log(`\nsweep: seeding ${options.sweepRows} expired rows in D1 grants, then running the cron handler until it finds none…`);
      sweep = await measureSweep(server, options.sweepRows);
      const batches = sweep.runs.filter((r) => r.deleted > 0);
      const slowest = Math.max(...sweep.runs.map((r) => r.ms));
      log(`  seeded in ${round1(sweep.seedSeconds)} s; ${batches.length} runs deleted rows (${batches.map((r) => r.deleted).join(", ")}), then 1 found none;`);
      log(`  slowest run ${slowest.toFixed(1)} ms; ${sweep.remaining} expired rows left`);
    } finally {
      await stop(server);
    }
  }
  return { scale, sweep };
}

/**
 * Refresh at scale, on two Gatehouses: one holding FEW_GRANTS live grants, one --scale-grants. In alternating rounds:
 * the few refreshed in turn; a working set of FEW_GRANTS refreshed in turn among the many (what the number of live
 * grants costs, with objects as warm as the few's); and all the many in turn, each object loaded anew (what
 * production sees, where a grant is refreshed once per access-token lifetime).
 */
async function refreshAtScale(): Promise<ScaleResult | undefined> {
  const few = await start("warn", () => startGatehouse(options.port + 24));
  try {
    const many = await start("warn", () => startGatehouse(options.port + 4));
    try {
      return await refreshOn(few, many);
    } finally {
      await stop(many);
    }
  } finally {
    await stop(few);
  }
}

async function refreshOn(fewServer: Server, manyServer: Server): Promise<ScaleResult | undefined> {
  const http = client();
  try {
    if ((await signInAt(http, manyServer.url, nextEmail())).tokens.refresh_token === undefined) {
      log("\nscale: refresh at 10 vs many grants: n/a (refresh tokens not implemented)");
      return undefined;
    }
  } catch (err) {
    log(`\nscale: n/a (sign-in failed: ${err instanceof Error ? err.message : String(err)})`);
    return undefined;
  }
  const few = new GrantPool(http, fewServer.url);
  const many = new GrantPool(http, manyServer.url);
  log(`\nscale: seeding ${FEW_GRANTS} and ${options.scaleGrants} live grants on two Gatehouses by real sign-ins (concurrency ${options.concurrency})…`);
  const fewSeeded = await few.seed(FEW_GRANTS, options.concurrency);
  const seeded = await many.seed(options.scaleGrants, options.concurrency);
  for (const sample of [...fewSeeded.errorSamples, ...seeded.errorSamples]) log(`  seeding error: ${sample}`);
  const seedRate = seeded.seconds > 0 ? round1(many.size / seeded.seconds) : 0;
  log(`  ${many.size} grants seeded in ${round1(seeded.seconds)} s (${seedRate}/s)`);
  const grants = many.size;
  const tracks = await measureRefreshTracks(
    [
      { pool: few, grants: few.size, cpu: { pgid: fewServer.pgid } },
      { pool: many.split(FEW_GRANTS), grants, cpu: { pgid: manyServer.pgid } },
      { pool: many, grants, cpu: { pgid: manyServer.pgid } },
    ],
    { concurrency: options.concurrency, durationMs: options.scaleMs, warmupMs: options.warmupMs, rounds: options.scaleRounds },
  );
  for (const track of tracks) {
    const r = track.refresh;
    log(`  ${track.refreshed} of ${track.grants} grants refreshed in turn: ${round1(r.rps)} ops/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, CPU ${cpuCell(r)} ms/op, ${r.errors} errors`);
    for (const sample of r.errorSamples) log(`  refresh error: ${sample}`);
  }
  const [base, ...others] = tracks;
  if (base) for (const other of others) log(`  ${other.refreshed} of ${other.grants} over ${base.refreshed} of ${base.grants}: CPU ${scaleRatio(other, base)}`);
  return { seeded: { grants, seconds: round1(seeded.seconds), rate: seedRate }, tracks };
}

interface ScaleResult {
  seeded: { grants: number; seconds: number; rate: number };
  /** The few in turn, a working set among the many, all the many (refreshAtScale). */
  tracks: RefreshAtScale[];
}

/** One track's CPU per rotation over another's, paired round by round. */
function scaleRatio(a: RefreshAtScale, b: RefreshAtScale): string {
  return sideRatio(a.refresh, b.refresh, "cpuPerOp");
}

interface Target {
  name: string;
  met?: boolean;
  detail: string;
}

function evaluateTargets(results: ScenarioResult[], scale: ScaleResult | undefined, errors: number, gateway: GatewayResult | undefined, vault: VaultResult | undefined): Target[] {
  const byId = (id: string) => results.find((r) => r.id === id);
  const targets: Target[] = [];
  const cpu = (s: Summary | undefined) => s?.cpuPerOp?.worker;
  const a = byId("a")?.gatehouse.summary;
  const b = byId("b")?.gatehouse.summary;
  targets.push(
    a && b
      ? { name: "(a) auth costs ≤ 15 % p50 over (b)", met: a.p50 <= b.p50 * 1.15, detail: `${a.p50.toFixed(2)} ms vs ${b.p50.toFixed(2)} ms (${a.p50 >= b.p50 ? "+" : ""}${((a.p50 / b.p50 - 1) * 100).toFixed(1)} %)` }
      : { name: "(a) auth costs ≤ 15 % p50 over (b)", detail: "not measured" },
  );
  const strict = byId("a0")?.gatehouse.summary;
  if (a && strict) {
    targets.push({ name: "liveness on every request (a0) vs cached (a), informational", detail: `${strict.p50.toFixed(2)} ms vs ${a.p50.toFixed(2)} ms p50 (+${(strict.p50 - a.p50).toFixed(2)} ms per request)` });
  }
  // Issue 17: judged on the Worker's CPU per operation, the figure a busy machine does not move.
  const cpuTarget = (id: string, name: string, most: number, alsoP50: boolean) => {
    const r = byId(id);
    const g = r?.gatehouse.summary;
    const ref = r?.reference.summary;
    const gc = cpu(g);
    const rc = cpu(ref);
    if (!g || !ref || gc === undefined || rc === undefined) return targets.push({ name, detail: r?.gatehouse.skip ?? r?.reference.skip ?? "not measured" });
    const detail = `CPU ${gc.toFixed(2)} vs ${rc.toFixed(2)} ms/op (G/R ${sideRatio(g, ref, "cpuPerOp")}), p50 ${g.p50.toFixed(2)} vs ${ref.p50.toFixed(2)} ms`;
    return targets.push({ name, met: gc <= rc * most && (!alsoP50 || g.p50 <= ref.p50), detail });
  };
  cpuTarget("a", "(a) /mcp with a token: CPU/op ≤ the reference's", 1, false);
  cpuTarget("b", "(b) /mcp floor: CPU/op ≤ the reference's", 1, false);
  cpuTarget("c", "(c) refresh: CPU/op ≤ 0.67× the reference's (≥ 1.5× its throughput)", 0.67, false);
  // Judged against the reference that signs in the same way (consent page, upstream login), not the auto-approving one.
  cpuTarget("d3", "(d3) whole sign-in with consent and upstream: CPU/op and p50 ≤ the reference's", 1, true);
  if (gateway) {
    const { direct, floor, gateway: through } = gateway;
    targets.push({ name: "(g) the gateway adds ≤ 2 ms p50", met: through.p50 - direct.p50 <= 2, detail: `${through.p50.toFixed(2)} ms vs ${direct.p50.toFixed(2)} ms direct (+${(through.p50 - direct.p50).toFixed(2)} ms); over the floor Worker +${(through.p50 - floor.p50).toFixed(2)} ms` });
    const keep = cpuBoundThroughput(gateway, false);
    const keepOverFloor = cpuBoundThroughput(gateway, true);
    targets.push({
      name: "(g) the gateway keeps ≥ 0.8× the direct throughput (CPU-bound)",
      met: keep === undefined ? undefined : keep >= 0.8,
      detail: `× ${keep?.toFixed(2) ?? "n/a"} by CPU/op (× ${keepOverFloor?.toFixed(2) ?? "n/a"} of the floor Worker's); measured ${round1(through.rps)} vs ${round1(direct.rps)} ops/s (× ${(through.rps / direct.rps).toFixed(2)})`,
    });
  } else {
    targets.push({ name: "(g) the gateway adds ≤ 2 ms p50, keeps ≥ 0.8× throughput", detail: "not measured" });
  }
  targets.push(
    vault
      ? { name: "(v) 50 concurrent calls with the token due: one refresh, all succeed", met: vault.concurrent.refreshes === 1 && vault.concurrent.succeeded === vault.concurrent.calls, detail: `${vault.concurrent.refreshes} refresh, ${vault.concurrent.succeeded}/${vault.concurrent.calls} succeeded` }
      : { name: "(v) 50 concurrent calls with the token due: one refresh", detail: "not measured" },
  );
  const [few, warm, cold] = scale?.tracks ?? [];
  const flat = (name: string, track: RefreshAtScale | undefined, judged: boolean) => {
    if (!few || !track) return targets.push({ name, detail: "not measured" });
    const [a, b] = [cpu(track.refresh), cpu(few.refresh)];
    const met = a !== undefined && b !== undefined ? a <= b * 1.25 : track.refresh.p50 <= few.refresh.p50 * 1.25;
    const detail = `${few.refreshed} of ${few.grants}: CPU ${b?.toFixed(2) ?? "n/a"} ms/op; ${track.refreshed} of ${track.grants}: CPU ${a?.toFixed(2) ?? "n/a"} ms/op (× ${scaleRatio(track, few)})`;
    return targets.push(judged ? { name, met, detail } : { name, detail });
  };
  flat("refresh flat from 10 to many live grants, the same working set (CPU/op within 25 %)", warm, true);
  flat("refresh of every grant in turn, each object loaded anew, over 10 (informational: workerd's object load)", cold, false);
  targets.push({ name: "no request fails", met: errors === 0, detail: `${errors} errors` });
  return targets;
}

main()
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    await stopAll();
    process.exit(1);
  });
