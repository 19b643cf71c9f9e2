// D1 `usage_daily`: requests and tool calls per day × person × server × tool (migrations/0008_usage.sql), for the
// admin API's usage listing and export.

/** Counts to add to one row: `tool` is '' for requests that call no tool. */
export interface UsageCount {
  day: string;
  userId: string;
  server: string;
  tool: string;
  requests: number;
  toolCalls: number;
}

/** A statement adding `count` to its row, creating it, and moving its last use forward (batched with the user's count). */
export function addUsage(db: D1Database, count: UsageCount, usedAt: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO usage_daily (day, user_id, server, tool, requests, tool_calls, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (day, user_id, server, tool) DO UPDATE SET
         requests = requests + excluded.requests, tool_calls = tool_calls + excluded.tool_calls,
         last_used_at = MAX(last_used_at, excluded.last_used_at)`,
    )
    .bind(count.day, count.userId, count.server, count.tool, count.requests, count.toolCalls, usedAt);
}

/** Admin filters: days inclusive (YYYY-MM-DD), exact user id, server path and tool; `domain` and `org` (id or name) of the person. */
export interface UsageFilter {
  from?: string;
  to?: string;
  user?: string;
  server?: string;
  tool?: string;
  domain?: string;
  org?: string;
}

/** A row as the admin API shows it, with the person's email, domain and organisation as last seen. */
export interface UsageRecord extends UsageCount {
  email?: string;
  domain?: string;
  orgId?: string;
  orgName?: string;
  lastUsedAt: number;
}

/** The keyset of usage rows: their primary key. */
export type UsageKey = readonly [string, string, string, string];

interface UsageRow {
  day: string;
  user_id: string;
  server: string;
  tool: string;
  requests: number;
  tool_calls: number;
  last_used_at: number;
  email: string | null;
  domain: string | null;
  org_id: string | null;
  org_name: string | null;
}

/** Up to `limit` rows matching `filter` in primary key order, after the keyset `after`. */
export async function listUsage(db: D1Database, filter: UsageFilter, limit: number, after?: UsageKey): Promise<UsageRecord[]> {
  const where: string[] = [];
  const binds: string[] = [];
  if (filter.from !== undefined) where.push("d.day >= ?"), binds.push(filter.from);
  if (filter.to !== undefined) where.push("d.day <= ?"), binds.push(filter.to);
  if (filter.user !== undefined) where.push("d.user_id = ?"), binds.push(filter.user);
  if (filter.server !== undefined) where.push("d.server = ?"), binds.push(filter.server);
  if (filter.tool !== undefined) where.push("d.tool = ?"), binds.push(filter.tool);
  if (filter.domain !== undefined) where.push("u.domain = ?"), binds.push(filter.domain.toLowerCase());
  if (filter.org !== undefined) where.push("(u.org_id = ? OR u.org_name = ?)"), binds.push(filter.org, filter.org);
  if (after) where.push("(d.day, d.user_id, d.server, d.tool) > (?, ?, ?, ?)"), binds.push(...after);
  const sql = `SELECT d.*, u.email, u.domain, u.org_id, u.org_name FROM usage_daily d LEFT JOIN users u ON u.id = d.user_id
    ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY d.day, d.user_id, d.server, d.tool LIMIT ?`;
  const { results } = await db.prepare(sql).bind(...binds, limit).all<UsageRow>();
  return results.map((row) => ({
    day: row.day,
    userId: row.user_id,
    server: row.server,
    tool: row.tool,
    requests: row.requests,
    toolCalls: row.tool_calls,
    lastUsedAt: row.last_used_at,
    email: row.email ?? undefined,
    domain: row.domain ?? undefined,
    orgId: row.org_id ?? undefined,
    orgName: row.org_name ?? undefined,
  }));
}

/** One day of the overview's series: people active, requests and tool calls (index usage_daily_day_counts, covering). */
export interface DailyUsage {
  day: string;
  people: number;
  requests: number;
  toolCalls: number;
}

/** The overview's daily series from `fromDay` (YYYY-MM-DD, inclusive) on, oldest first. */
export async function dailyUsage(db: D1Database, fromDay: string): Promise<DailyUsage[]> {
  const { results } = await db
    .prepare("SELECT day, COUNT(DISTINCT user_id) AS people, SUM(requests) AS requests, SUM(tool_calls) AS tool_calls FROM usage_daily WHERE day >= ? GROUP BY day ORDER BY day")
    .bind(fromDay)
    .all<{ day: string; people: number; requests: number; tool_calls: number }>();
  return results.map((r) => ({ day: r.day, people: r.people, requests: r.requests, toolCalls: r.tool_calls }));
}

/** Tool calls per tool from `fromDay` on (index usage_daily_day_counts, covering). */
export async function toolCalls(db: D1Database, fromDay: string): Promise<Map<string, number>> {
  const { results } = await db
    // Without statistics (D1 runs no ANALYZE) the planner would walk all of usage_daily_tool for the GROUP BY.
    .prepare("SELECT tool, SUM(tool_calls) AS calls FROM usage_daily INDEXED BY usage_daily_day_counts WHERE day >= ? AND tool <> '' GROUP BY tool")
    .bind(fromDay)
    .all<{ tool: string; calls: number }>();
  return new Map(results.map((r) => [r.tool, r.calls]));
}

/** A person's usage per day × server × tool from `fromDay` on, newest first (index usage_daily_user). */
export async function personUsage(db: D1Database, userId: string, fromDay: string, limit: number): Promise<UsageCount[]> {
  const { results } = await db
    .prepare("SELECT day, server, tool, requests, tool_calls FROM usage_daily WHERE user_id = ? AND day >= ? ORDER BY day DESC, server, tool LIMIT ?")
    .bind(userId, fromDay, limit)
    .all<{ day: string; server: string; tool: string; requests: number; tool_calls: number }>();
  return results.map((r) => ({ day: r.day, userId, server: r.server, tool: r.tool, requests: r.requests, toolCalls: r.tool_calls }));
}
