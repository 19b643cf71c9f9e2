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
