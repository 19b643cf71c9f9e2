// Scale (issue 5, item 3; issue 17): refresh cost with few and with many live grants (flat when every grant is its own
// Durable Object and nothing global sits on the hot path), and the cron sweep over many expired index rows.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CpuSource } from "./cpu";
import { WRANGLER_ENV } from "../test/support/node/wrangler-dev";
import type { HttpClient } from "./http";
import { type LoadResult, runLoad, type Summary, summarize } from "./load";
import type { RegisteredClient } from "../test/support/oauth";
import { refresh, registerBenchClient, type SignedIn, signInAt } from "./oauth-client";
import { nextEmail } from "./scenarios";
import type { Server } from "./servers";

/** One way of refreshing: on a server holding `grants` live grants, `refreshed` of them in turn. */
export interface RefreshAtScale {
  grants: number;
  refreshed: number;
  refresh: Summary;
}

/** A pool of live grants; refreshes take the least recently used one, so no grant is ever refreshed concurrently. */
export class GrantPool {
  readonly #queue: SignedIn[] = [];
  #clients: RegisteredClient[] = [];
  constructor(
    readonly http: HttpClient,
    readonly base: string,
  ) {}

  get size(): number {
    return this.#queue.length;
  }

  /** Adds grants by real sign-ins (one registered client per worker, a new user per grant) until `target`. */
  async seed(target: number, concurrency: number): Promise<{ seconds: number; errors: number; errorSamples: string[] }> {
    if (this.#clients.length < concurrency) this.#clients = await Promise.all(Array.from({ length: concurrency }, () => registerBenchClient(this.http, this.base)));
    const start = performance.now();
    let errors = 0;
    const errorSamples: string[] = [];
    while (this.#queue.length < target && errors < 50) {
      const result = await runLoad(
        async (slot) => {
          const client = this.#clients[slot];
          if (!client) throw new Error(`no client for slot ${slot}`);
          this.#queue.push(await signInAt(this.http, this.base, nextEmail(), { client }));
        },
        { concurrency, durationMs: 3_600_000, maxOps: target - this.#queue.length },
      );
      errors += result.errors;
      errorSamples.push(...result.errorSamples);
    }
    return { seconds: (performance.now() - start) / 1000, errors, errorSamples: errorSamples.slice(0, 5) };
  }

  /** Moves `count` grants into a pool of their own, on the same server: a working set refreshed apart from the rest. */
  split(count: number): GrantPool {
    const part = new GrantPool(this.http, this.base);
    part.#queue.push(...this.#queue.splice(0, count));
    return part;
  }

  /**
   * Refreshes the least recently refreshed grant and puts its successor at the back. A failed rotation leaves the
   * grant in an unknown state, so it stays out of the pool rather than risk presenting a used token.
   */
  async refreshOne(): Promise<void> {
    const tokens = this.#queue.shift();
    if (!tokens) throw new Error("the grant pool is empty");
    this.#queue.push(await refresh(this.http, this.base, tokens));
  }
}

/** A pool to refresh in the rounds below, on the server that holds `grants` live grants. */
export interface RefreshTrack {
  pool: GrantPool;
  grants: number;
  cpu?: CpuSource;
}

/**
 * Refreshes each track in alternation, `rounds` times, each round after a warm-up of its own: workerd lets an
 * object go after a few idle seconds, so a working set is warm again before it is measured, as it was in its last
 * round. Rounds in turn make the tracks' ratios pairs that ran back to back on the same machine; each round starts
 * one track later than the one before, because in trial runs the track measured first in every round measured more.
 */
export async function measureRefreshTracks(tracks: RefreshTrack[], options: { concurrency: number; durationMs: number; warmupMs: number; rounds: number }): Promise<RefreshAtScale[]> {
  const rounds: LoadResult[][] = tracks.map(() => []);
  // A server that has just started runs its refresh path cold (not yet optimised): one unmeasured round each first.
  for (const track of tracks) await runLoad(() => track.pool.refreshOne(), { concurrency: options.concurrency, durationMs: options.durationMs, maxOps: Number.MAX_SAFE_INTEGER });
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < tracks.length; k++) {
      const i = (round + k) % tracks.length;
      const track = tracks[i];
      if (!track) continue;
      await runLoad(() => track.pool.refreshOne(), { concurrency: options.concurrency, durationMs: options.warmupMs, maxOps: Number.MAX_SAFE_INTEGER });
      rounds[i]?.push(await runLoad(() => track.pool.refreshOne(), { concurrency: options.concurrency, durationMs: options.durationMs, maxOps: Number.MAX_SAFE_INTEGER }, track.cpu));
    }
  }
  return tracks.map((track, i) => ({ grants: track.grants, refreshed: track.pool.size, refresh: summarize(rounds[i] ?? []) }));
}

export interface SweepResult {
  seededRows: number;
  seedSeconds: number;
  /** Rows each cron run deleted, in order, until a run found nothing left. */
  runs: { deleted: number; ms: number }[];
  remaining: number;
}

const SCHEDULED = "/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*";

/**
 * Seeds `rows` expired rows into D1 `grants` with `wrangler d1 execute --local` on the server's own state, then
 * triggers the cron handler until a run deletes nothing, reading each run's count from its `sweep.completed` log.
 */
export async function measureSweep(server: Server, rows: number, maxRuns = 200): Promise<SweepResult> {
  const now = Math.floor(Date.now() / 1000);
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-sweep-"));
  const started = performance.now();
  try {
    const statements: string[] = [];
    for (let i = 0; i < rows; i += 500) {
      const values = Array.from({ length: Math.min(500, rows - i) }, (_, j) => `('bench-expired-${i + j}','bench-user','bench-client','mcp','active',${now - 7200},${now - 3600})`);
      statements.push(`INSERT INTO grants (id, user_id, client_id, scope, status, created_at, expires_at) VALUES ${values.join(",")};`);
    }
    const file = join(dir, "seed.sql");
    writeFileSync(file, statements.join("\n"));
    d1(server, ["--file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seedSeconds = (performance.now() - started) / 1000;
  const runs: SweepResult["runs"] = [];
  for (let run = 0; run < maxRuns; run++) {
    const before = sweepLogCount(server);
    const t0 = performance.now();
    const res = await fetch(`${server.url}${SCHEDULED}`);
    await res.text();
    if (!res.ok) throw new Error(`scheduled handler answered ${res.status}`);
    const deleted = await nextSweepCount(server, before);
    runs.push({ deleted, ms: performance.now() - t0 });
    if (deleted === 0) break;
  }
  return { seededRows: rows, seedSeconds, runs, remaining: countExpired(server, now) };
}

function d1(server: Server, args: string[]): string {
  const run = spawnSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", server.state, "--json", ...args], {
    env: { ...process.env, ...WRANGLER_ENV },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`wrangler d1 execute failed: ${run.stderr.slice(-2000)}`);
  return run.stdout;
}

function countExpired(server: Server, now: number): number {
  const out = JSON.parse(d1(server, ["--command", `SELECT COUNT(*) AS n FROM grants WHERE expires_at < ${now}`])) as { results: { n: number }[] }[];
  return out[0]?.results[0]?.n ?? -1;
}

const SWEEP_LINE = /\{"event":"sweep\.completed"[^\n]*\}/g;

function sweepLogCount(server: Server): number {
  return server.logs().match(SWEEP_LINE)?.length ?? 0;
}

/** Waits for the next `sweep.completed` line (the handler's work may finish after the response) and reads `grants`. */
async function nextSweepCount(server: Server, before: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const lines = server.logs().match(SWEEP_LINE) ?? [];
    const line = lines[before];
    if (line) return (JSON.parse(line) as { grants: number }).grants;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("no sweep.completed log line within 30 s");
}
