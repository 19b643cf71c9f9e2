// `npm run bench:actors` (issue 17): what a Durable Object costs local workerd by itself, with none of Gatehouse's
// code — bench/actors/, a class whose methods only do what the Grant's do to storage. Per round, on new objects:
// create them (touching no storage, or storing what `Grant.begin` stores), call them while in memory, wait until
// workerd has let them go, and call them again. Prints the Worker's workerd CPU per request (from /proc), each row
// also less a request that calls no object: the cost (d3)'s sign-in and the scale row's rotation pay for their object.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { markdownTable } from "./compare";
import { createClient } from "./http";
import { runLoad } from "./load";
import { startWranglerDev, stopStartedGatehouses } from "../test/support/node/wrangler-dev";

const { values: args } = parseArgs({
  options: {
    objects: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    "idle-s": { type: "string", default: "15" },
    concurrency: { type: "string", default: "4" },
    port: { type: "string", default: "8960" },
  },
});
const objects = Number(args.objects);
const rounds = Number(args.rounds);
const idleMs = Number(args["idle-s"]) * 1000;
const concurrency = Number(args.concurrency);

/** One row: a request path over a set of objects (`undefined`: the request calls none). */
interface Step {
  label: string;
  method: "none" | "touch" | "begin" | "rotate";
  objects: "empty" | "grant";
  /** Wait this long first, so that workerd lets the objects go. */
  idle?: boolean;
}

const STEPS: Step[] = [
  { label: "a request that calls no object", method: "none", objects: "empty" },
  { label: "create an object that touches no storage", method: "touch", objects: "empty" },
  { label: "create an object storing what Grant.begin stores (schema, row, alarm)", method: "begin", objects: "grant" },
  { label: "call it in memory: no storage", method: "touch", objects: "empty" },
  { label: "call it in memory: a rotation's statements", method: "rotate", objects: "grant" },
  { label: "call it after idling (loaded again): no storage", method: "touch", objects: "empty", idle: true },
  { label: "call it after idling (loaded again): a rotation's statements", method: "rotate", objects: "grant" },
];

async function main(): Promise<void> {
  // As `npm run bench` starts its servers: warnings only, and without wrangler's inspector attached.
  process.env.WRANGLER_LOG = "warn";
  process.env.VSCODE_INSPECTOR_OPTIONS = "{}";
  const server = await startWranglerDev({ port: Number(args.port), name: "the actors probe", args: ["-c", "bench/actors/wrangler.toml"], vars: {}, statePrefix: "gatehouse-bench-actors-" });
  const http = createClient(concurrency);
  const cpu: number[][] = STEPS.map(() => []);
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [i, step] of STEPS.entries()) {
        if (step.idle) await new Promise((resolve) => setTimeout(resolve, idleMs));
        let next = 0;
        const result = await runLoad(
          async () => {
            const path = step.method === "none" ? "/none" : `/${step.method}?n=${step.objects}-${round}-${next++}`;
            const res = await http.send(`${server.url}${path}`);
            if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
          },
          { concurrency, durationMs: 600_000, maxOps: objects },
          { pgid: server.pgid },
        );
        if (result.errors > 0) throw new Error(`${step.label}: ${result.errorSamples.join("; ")}`);
        cpu[i]?.push((result.cpu?.worker ?? NaN) / result.ops);
      }
    }
  } finally {
    http.close();
    await server.stop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const base = median(cpu[0] ?? []);
  const rows = STEPS.map((step, i) => {
    const xs = cpu[i] ?? [];
    return [step.label, `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`, i === 0 ? "" : (median(xs) - base).toFixed(2)];
  });
  const table = markdownTable([`Worker CPU ms per request (${objects} objects, ${rounds} rounds, idle ${idleMs / 1000} s)`, "median (min–max)", "less no object"], rows);
  console.log(`\n${table}\n`);
  mkdirSync("bench/results", { recursive: true });
  const file = join("bench/results", `actors-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ objects, rounds, idleMs, concurrency, steps: STEPS.map((s, i) => ({ ...s, cpuMsPerRequest: cpu[i] })) }, null, 2)}\n`);
  console.log(`results: ${file}`);
}

main().catch(async (err) => {
  console.error(err);
  await stopStartedGatehouses();
  process.exitCode = 1;
});
