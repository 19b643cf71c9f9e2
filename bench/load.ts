// The load loop: a fixed number of concurrent workers run one operation back to back for a bounded time and count,
// recording each operation's latency; any thrown operation is an error, kept with its message.

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
}

const ERROR_SAMPLES = 5;

/** Runs `operation` with `limits.concurrency` workers until a limit is reached and every started operation ends. */
export async function runLoad(operation: Operation, limits: LoadLimits): Promise<LoadResult> {
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
  return { ops: latencies.length, errors, elapsedMs: performance.now() - start, latencies, errorSamples };
}

export interface Summary {
  ops: number;
  errors: number;
  /** Operations per second over the measured time. */
  rps: number;
  p50: number;
  p99: number;
  errorSamples: string[];
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
  };
}

/** Nearest-rank percentile of sorted values; 0 when there are none. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}
