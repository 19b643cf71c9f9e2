// D1 `console_daily` and `console_daily_tools`: the overview's figures per closed day (migrations/0012_console.sql),
// computed once from `usage_daily` and `events`, so the overview's cost does not grow with the days it covers.

/** One day's figures: people active, requests, tool calls, sign-ins (`code.issued` events). */
export interface DayFigures {
  day: string;
  people: number;
  requests: number;
  toolCalls: number;
  signIns: number;
}

/** Seconds after a UTC day's end before it counts as closed: the per-minute usage flushes of it have all landed. */
export const CLOSE_AFTER = 3600;

function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

/** Whether `day` (YYYY-MM-DD) is closed at `now` (Unix seconds). */
export function dayClosed(day: string, now: number): boolean {
  return dayStart(day) + 86_400 + CLOSE_AFTER <= now;
}

/** The stored figures of the days from `fromDay` on. */
export async function storedDays(db: D1Database, fromDay: string): Promise<Map<string, DayFigures>> {
  const { results } = await db
    .prepare("SELECT day, people, requests, tool_calls, sign_ins FROM console_daily WHERE day >= ?")
    .bind(fromDay)
    .all<{ day: string; people: number; requests: number; tool_calls: number; sign_ins: number }>();
  return new Map(results.map((r) => [r.day, { day: r.day, people: r.people, requests: r.requests, toolCalls: r.tool_calls, signIns: r.sign_ins }]));
}

/** Tool calls per tool over the stored days from `fromDay` on. */
export async function storedToolCalls(db: D1Database, fromDay: string): Promise<Map<string, number>> {
  const { results } = await db.prepare("SELECT tool, SUM(calls) AS calls FROM console_daily_tools WHERE day >= ? GROUP BY tool").bind(fromDay).all<{ tool: string; calls: number }>();
  return new Map(results.map((r) => [r.tool, r.calls]));
}

/** Computes and stores a closed day's figures (one batch: the day row and its tools), from the covering indexes. */
export async function closeDay(db: D1Database, day: string, now: number): Promise<void> {
  const start = dayStart(day);
  await db.batch([
    db
      .prepare(
        `INSERT OR REPLACE INTO console_daily (day, people, requests, tool_calls, sign_ins, computed_at)
         SELECT ?1, COUNT(DISTINCT user_id), COALESCE(SUM(requests), 0), COALESCE(SUM(tool_calls), 0),
           (SELECT COUNT(*) FROM events WHERE type = 'code.issued' AND at >= ?2 AND at < ?3), ?4
         FROM usage_daily WHERE day = ?1`,
      )
      .bind(day, start, start + 86_400, now),
    db.prepare("DELETE FROM console_daily_tools WHERE day = ?").bind(day),
    db.prepare("INSERT INTO console_daily_tools (day, tool, calls) SELECT day, tool, SUM(tool_calls) FROM usage_daily INDEXED BY usage_daily_day_counts WHERE day = ? AND tool <> '' GROUP BY tool").bind(day),
  ]);
}

/** The UTC days (YYYY-MM-DD) of the `days` days ending today, oldest first. */
export function periodDays(days: number, now: number): string[] {
  const today = Math.floor(now / 86_400) * 86_400;
  return Array.from({ length: days }, (_, i) => new Date((today - (days - 1 - i) * 86_400) * 1000).toISOString().slice(0, 10));
}

/**
 * Stores the figures of up to `limit` closed days among the last `days` that have none yet, oldest first; how many.
 * The cron sweep calls it so the console rarely has to; the overview calls it for whatever is still missing.
 */
export async function closeMissingDays(db: D1Database, days: number, now: number, limit: number): Promise<number> {
  const period = periodDays(days, now);
  const stored = await storedDays(db, period[0] ?? "");
  const missing = period.filter((day) => dayClosed(day, now) && !stored.has(day)).slice(0, limit);
  for (const day of missing) await closeDay(db, day, now);
  return missing.length;
}
