// Attribution of /mcp and gateway use without a D1 write per request: each isolate counts requests per grant — in
// total, and per day × server × tool — and writes them at most once a minute per grant, in one batch (the first
// request of a grant at once, so "last seen" is prompt). Counts an isolate holds when it is evicted are lost: the
// figures are a close lower bound, not an invoice.
import type { Context } from "hono";
import type { UsageCount } from "../db/usage";
import { recordUsage } from "../db/users";
import type { AppEnv } from "../http/app-env";
import { readAtMost } from "../http/params";
import type { Caller } from "../identity";
import { calledTools } from "../policy/tool-calls";

/** Least time between two writes for one grant. */
export const USAGE_FLUSH_MS = 60_000;
/** Grants one isolate tracks at most; the oldest entry is flushed out first. */
const MAX_TRACKED = 10_000;
/** Rows of `usage_daily` one grant's tally holds between two writes (one write is one D1 batch). */
const MAX_ROWS = 64;
/** Largest request body read for tool names: the built-in server's own limit (src/mcp/server.ts). */
const MAX_READ_BYTES = 1024 * 1024;

/** One request: the protected resource's path it went to, and the tools it called (none for other requests). */
export interface Use {
  server: string;
  tools: string[];
}

interface Tally {
  userId: string;
  clientId: string;
  count: number;
  flushedAt: number;
  /** Per `day server tool`, what is not written yet. */
  counts: Map<string, UsageCount>;
}

/** Requests to add to a user's count, made through one client, and the rows of `usage_daily` they add to. */
export interface UsageWrite {
  userId: string;
  clientId: string;
  requests: number;
  counts: UsageCount[];
}

/** Per-grant request tallies; `add` says when and how much to write. Pure apart from its own map. */
export class UsageCounter {
  readonly #tallies = new Map<string, Tally>();

  /**
   * Counts one request; returns the writes now due: this grant's tallies once a minute, an evicted grant's rest.
   * A request adds to the row of each tool it called (requests once per tool, tool_calls per call), else to the
   * row of tool '' — so only a batch calling several tools counts in several rows.
   */
  add(grantId: string, userId: string, clientId: string, use: Use, now: number): UsageWrite[] {
    const tally = this.#tallies.get(grantId) ?? { userId, clientId, count: 0, flushedAt: -Infinity, counts: new Map() };
    tally.count++;
    const day = new Date(now).toISOString().slice(0, 10);
    const calls = new Map<string, number>();
    for (const tool of use.tools) calls.set(tool, (calls.get(tool) ?? 0) + 1);
    // Tool names are client input: past MAX_ROWS a tally's further names count under '' instead of growing it.
    let folded = 0;
    const count = (tool: string, toolCalls: number, open: boolean) => {
      const key = `${day} ${use.server} ${tool}`;
      const row = tally.counts.get(key) ?? (open ? { day, userId, server: use.server, tool, requests: 0, toolCalls: 0 } : undefined);
      if (!row) return false;
      row.requests++;
      row.toolCalls += toolCalls;
      tally.counts.set(key, row);
      return true;
    };
    for (const [tool, n] of calls) if (!count(tool, n, tally.counts.size < MAX_ROWS)) folded += n;
    if (calls.size === 0 || folded > 0) count("", folded, true);
    this.#tallies.delete(grantId);
    this.#tallies.set(grantId, tally);
    const due: UsageWrite[] = [];
    if (now - tally.flushedAt >= USAGE_FLUSH_MS) {
      due.push(drain(tally));
      tally.flushedAt = now;
    }
    if (this.#tallies.size > MAX_TRACKED) {
      const [oldestId, oldest] = this.#tallies.entries().next().value ?? [];
      if (oldestId !== undefined && oldest) {
        this.#tallies.delete(oldestId);
        if (oldest.count > 0) due.push(drain(oldest));
      }
    }
    return due;
  }
}

function drain(tally: Tally): UsageWrite {
  const write = { userId: tally.userId, clientId: tally.clientId, requests: tally.count, counts: [...tally.counts.values()] };
  tally.count = 0;
  tally.counts = new Map();
  return write;
}

const counter = new UsageCounter();

/** Counts `caller`'s request to `use.server` (and its tool calls) and writes what is due in the background. */
export function countUse(c: Context<AppEnv>, caller: Caller, use: Use): void {
  const now = Date.now();
  for (const write of counter.add(caller.grantId, caller.subject, caller.clientId, use, now)) {
    c.executionCtx.waitUntil(
      recordUsage(c.env.DB, write, Math.floor(now / 1000)).catch((err: unknown) =>
        console.error(JSON.stringify({ event: "usage.write_failed", error: err instanceof Error ? err.name : "unknown" })),
      ),
    );
  }
}

/**
 * The tools a request calls, read from a clone of its JSON-RPC body, so the MCP transport or the origin still
 * receives the body untouched. Only a POST can call one; at most MAX_READ_BYTES are read, and a body that is larger
 * or not JSON calls none as far as the count goes (the server answers it anyway).
 */
export async function requestedTools(request: Request): Promise<string[]> {
  if (request.method !== "POST" || !request.body) return [];
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  if (declared > MAX_READ_BYTES) return [];
  let text: string;
  try {
    text = new TextDecoder().decode(await readAtMost(request.clone().body, MAX_READ_BYTES));
  } catch {
    return [];
  }
  // Most requests are not tool calls: skip the parse when the method's name cannot be in the body.
  if (!text.includes("tools/call")) return [];
  try {
    return calledTools(JSON.parse(text));
  } catch {
    return [];
  }
}
