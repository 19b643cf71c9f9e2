// Attribution of /mcp use without a D1 write per request: each isolate counts requests per grant and adds them to
// the user's row at most once a minute per grant (the first request of a grant at once, so "last seen" is prompt).
// Counts an isolate holds when it is evicted are lost: the figures are a close lower bound, not an invoice.
import type { Context } from "hono";
import { recordUsage } from "../db/users";
import type { AppEnv } from "../http/app-env";
import type { Caller } from "../identity";

/** Least time between two writes for one grant. */
export const USAGE_FLUSH_MS = 60_000;
/** Grants one isolate tracks at most; the oldest entry is flushed out first. */
const MAX_TRACKED = 10_000;

interface Tally {
  userId: string;
  clientId: string;
  count: number;
  flushedAt: number;
}

/** Requests to add to a user's count, made through one client. */
export interface UsageWrite {
  userId: string;
  clientId: string;
  requests: number;
}

/** Per-grant request tallies; `add` says when and how much to write. Pure apart from its own map. */
export class UsageCounter {
  readonly #tallies = new Map<string, Tally>();

  /** Counts one request; returns the writes now due: this grant's tally once a minute, an evicted grant's rest. */
  add(grantId: string, userId: string, clientId: string, now: number): UsageWrite[] {
    const tally = this.#tallies.get(grantId) ?? { userId, clientId, count: 0, flushedAt: -Infinity };
    tally.count++;
    this.#tallies.delete(grantId);
    this.#tallies.set(grantId, tally);
    const due: UsageWrite[] = [];
    if (now - tally.flushedAt >= USAGE_FLUSH_MS) {
      due.push({ userId: tally.userId, clientId: tally.clientId, requests: tally.count });
      tally.count = 0;
      tally.flushedAt = now;
    }
    if (this.#tallies.size > MAX_TRACKED) {
      const [oldestId, oldest] = this.#tallies.entries().next().value ?? [];
      if (oldestId !== undefined && oldest) {
        this.#tallies.delete(oldestId);
        if (oldest.count > 0) due.push({ userId: oldest.userId, clientId: oldest.clientId, requests: oldest.count });
      }
    }
    return due;
  }
}

const counter = new UsageCounter();

/** Counts `caller`'s request and writes what is due in the background. */
export function countRequest(c: Context<AppEnv>, caller: Caller): void {
  const now = Date.now();
  for (const write of counter.add(caller.grantId, caller.subject, caller.clientId, now)) {
    c.executionCtx.waitUntil(
      recordUsage(c.env.DB, write, Math.floor(now / 1000)).catch((err: unknown) =>
        console.error(JSON.stringify({ event: "usage.write_failed", error: err instanceof Error ? err.name : "unknown" })),
      ),
    );
  }
}
