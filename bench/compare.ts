// Runs each scenario on both sides in alternation (warm-up, then A B A B … for the configured rounds), and
// renders the comparison table.
import type { CpuTimes } from "./cpu";
import { formatRatio, type LoadLimits, type LoadResult, ratio, runLoad, type Summary, summarize } from "./load";
import type { Scenario, Side } from "./scenarios";

export interface SideResult {
  summary?: Summary;
  /** Why the scenario did not run on this side. */
  skip?: string;
  rounds: { ops: number; errors: number; rps: number; cpu?: CpuTimes }[];
}

export interface ScenarioResult {
  id: string;
  title: string;
  unit: string;
  gatehouse: SideResult;
  reference: SideResult;
}

export interface CompareOptions extends LoadLimits {
  rounds: number;
  warmupMs: number;
  log: (line: string) => void;
}

/** Prepares both sides, warms both up, then alternates measured rounds between them. */
export async function compareScenario(scenario: Scenario, sides: [Side, Side], options: CompareOptions): Promise<ScenarioResult> {
  const prepared = await Promise.all(
    sides.map(async (side) => {
      try {
        return await scenario.prepare(side, options.concurrency);
      } catch (err) {
        return { skip: `n/a (setup failed: ${err instanceof Error ? err.message : String(err)})` };
      }
    }),
  );
  const results: LoadResult[][] = [[], []];
  const operations = prepared.map((p) => (typeof p === "function" ? p : undefined));
  for (const [i, operation] of operations.entries()) {
    if (operation) await runLoad(operation, { ...options, durationMs: options.warmupMs });
    else options.log(`  (${scenario.id}) ${sides[i]?.name}: ${(prepared[i] as { skip: string }).skip}`);
  }
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, operation] of operations.entries()) {
      if (!operation) continue;
      const side = sides[i];
      const result = await runLoad(operation, options, side && (scenario.cpu ? scenario.cpu(side) : side.cpu));
      results[i]?.push(result);
      if (result.errors > 0) options.log(`  (${scenario.id}) ${sides[i]?.name} round ${round + 1}: ${result.errors} errors, e.g. ${result.errorSamples[0]}`);
    }
  }
  const sideResult = (i: number): SideResult => {
    const p = prepared[i];
    if (typeof p !== "function") return { skip: p?.skip ?? "n/a", rounds: [] };
    const rounds = results[i] ?? [];
    return { summary: summarize(rounds), rounds: rounds.map((r) => ({ ops: r.ops, errors: r.errors, rps: round1((r.ops * 1000) / r.elapsedMs), ...(r.cpu ? { cpu: r.cpu } : {}) })) };
  };
  return { id: scenario.id, title: scenario.title, unit: scenario.unit, gatehouse: sideResult(0), reference: sideResult(1) };
}

/** The CPU cell: the Worker's own workerd per operation, and in brackets all of `wrangler dev` (its proxy and Node too). */
export function cpuCell(s: Summary | undefined): string {
  const cpu = s?.cpuPerOp;
  if (!cpu) return "n/a";
  return `${cpu.worker.toFixed(2)} (${(cpu.worker + cpu.proxy + cpu.wrangler).toFixed(2)})`;
}

/** Gatehouse over reference for one figure, paired round by round. */
export function sideRatio(g: Summary, r: Summary, figure: "rps" | "p50" | "cpuPerOp"): string {
  if (figure === "cpuPerOp") {
    if (!g.cpuPerOp || !r.cpuPerOp) return "–";
    return formatRatio(ratio(g.cpuPerOp.worker, r.cpuPerOp.worker, g.perRound.map((x) => x.cpuPerOp), r.perRound.map((x) => x.cpuPerOp)));
  }
  return formatRatio(ratio(g[figure], r[figure], g.perRound.map((x) => x[figure]), r.perRound.map((x) => x[figure])));
}

/** The comparison as a Markdown table (readable in a terminal, pasteable into the README). */
export function renderTable(results: ScenarioResult[]): string {
  const head = ["scenario", "Gatehouse ops/s", "p50 ms", "CPU ms/op", "reference ops/s", "p50 ms", "CPU ms/op", "CPU G/R", "p50 G/R", "ops/s G/R", "errors G/R"];
  const rows = results.map((r) => {
    const g = r.gatehouse.summary;
    const ref = r.reference.summary;
    const cells = (s: Summary | undefined) => (s ? [round1(s.rps).toFixed(1), s.p50.toFixed(2), cpuCell(s)] : ["n/a", "", ""]);
    return [
      `(${r.id}) ${r.title}`,
      ...cells(g),
      ...cells(ref),
      g && ref ? sideRatio(g, ref, "cpuPerOp") : "–",
      g && ref ? sideRatio(g, ref, "p50") : "–",
      g && ref ? sideRatio(g, ref, "rps") : "–",
      `${g ? g.errors : "–"}/${ref ? ref.errors : "–"}`,
    ];
  });
  const notes = results.flatMap((r) =>
    (["gatehouse", "reference"] as const).flatMap((name) => (r[name].skip ? [`- (${r.id}) ${name === "gatehouse" ? "Gatehouse" : "reference"}: ${r[name].skip}`] : [])),
  );
  return [markdownTable(head, rows), ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

/** A Markdown table, padded for a terminal: the first column left-aligned, the figures right-aligned. */
export function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
