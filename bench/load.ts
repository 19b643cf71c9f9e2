// The load loop: a fixed number of concurrent workers run one operation back to back for a bounded time and count,
// recording each operation's latency and the CPU the server under test spent; any thrown operation is an error,
// kept with its message.
import { cpuDelta, type CpuSource, type CpuTimes, readCpu, ROLES } from "./cpu";

/** One operation of a scenario; `slot` is the worker's index (0 … concurrency-1). Throws on any failure. */
export type Operation = (slot: number) => Promise<void>;

export interface LoadLimits {
  concurrency: number;
  /** Stop starting operations after this long. */
  durationMs: number;
  /** …or after this many operations, whichever comes first. */
  maxOps: number;
}

export interface LoadResult {
  ops: number;
  errors: number;
  elapsedMs: number;
  /** Latency of every operation, successful or not, in milliseconds. */
  latencies: number[];
  /** The first few error messages, for the report. */
  errorSamples: string[];
  /** CPU the measured server spent during the round, by process role (ms); absent without /proc. */
  cpu?: CpuTimes;
}

const ERROR_SAMPLES = 5;

/**
 * Runs `operation` with `limits.concurrency` workers until a limit is reached and every started operation ends;
 * with `cpu`, reads that server's CPU time before and after.
 */
export async function runLoad(operation: Operation, limits: LoadLimits, cpu?: CpuSource): Promise<LoadResult> {
  const cpuBefore = cpu && readCpu(cpu);
  const latencies: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  let started = 0;
  const start = performance.now();
  const deadline = start + limits.durationMs;
  const worker = async (slot: number) => {
    while (started < limits.maxOps && performance.now() < deadline) {
      started++;
      const t0 = performance.now();
      try {
        await operation(slot);
      } catch (err) {
        errors++;
        if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(err instanceof Error ? err.message : String(err));
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: limits.concurrency }, (_, slot) => worker(slot)));
  const elapsedMs = performance.now() - start;
  const cpuAfter = cpu && readCpu(cpu);
  return { ops: latencies.length, errors, elapsedMs, latencies, errorSamples, ...(cpuBefore && cpuAfter ? { cpu: cpuDelta(cpuAfter, cpuBefore) } : {}) };
}

export interface Summary {
  ops: number;
  errors: number;
  /** Operations per second over the measured time. */
  rps: number;
  p50: number;
  p99: number;
  errorSamples: string[];
  /** CPU per operation (ms) by process role, over all rounds; absent without /proc. */
  cpuPerOp?: CpuTimes;
  /** Each round's figures, for the spread of a ratio. */
  perRound: RoundFigures[];
}

export interface RoundFigures {
  rps: number;
  p50: number;
  /** The measured Worker's CPU per operation (the `worker` role), ms. */
  cpuPerOp?: number;
}

/** Merges rounds: throughput over their summed time, percentiles over all their latencies. */
export function summarize(rounds: LoadResult[]): Summary {
  const latencies = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const elapsed = rounds.reduce((sum, r) => sum + r.elapsedMs, 0);
  const ops = latencies.length;
  return {
    ops,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    rps: elapsed > 0 ? (ops * 1000) / elapsed : 0,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errorSamples: [...new Set(rounds.flatMap((r) => r.errorSamples))].slice(0, ERROR_SAMPLES),
    ...(ops > 0 && rounds.every((r) => r.cpu) ? { cpuPerOp: perOp(rounds.map((r) => r.cpu as CpuTimes), ops) } : {}),
    perRound: rounds.map((r) => ({
      rps: r.elapsedMs > 0 ? (r.ops * 1000) / r.elapsedMs : 0,
      p50: percentile([...r.latencies].sort((a, b) => a - b), 0.5),
      ...(r.cpu && r.ops > 0 ? { cpuPerOp: r.cpu.worker / r.ops } : {}),
    })),
  };
}

function perOp(times: CpuTimes[], ops: number): CpuTimes {
  const total = { worker: 0, proxy: 0, wrangler: 0 };
  for (const t of times) for (const role of ROLES) total[role] += t[role];
  for (const role of ROLES) total[role] /= ops;
  return total;
}

/** A ratio of two sides' round figures, paired by round (they ran back to back): all rounds together, and the least and most of any one round. */
export interface Ratio {
  value: number;
  min: number;
  max: number;
}

export function ratio(a: number, b: number, aRounds: (number | undefined)[], bRounds: (number | undefined)[]): Ratio {
  const each = aRounds.flatMap((x, i) => {
    const y = bRounds[i];
    return x !== undefined && y !== undefined && y > 0 ? [x / y] : [];
  });
  return { value: b > 0 ? a / b : Number.NaN, min: Math.min(...each), max: Math.max(...each) };
}

/** `0.62 (0.55–0.70)`: the ratio over all rounds, with the least and most of one round. */
export function formatRatio(r: Ratio | undefined): string {
  if (!r || !Number.isFinite(r.value)) return "–";
  return Number.isFinite(r.min) ? `${r.value.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})` : r.value.toFixed(2);
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
