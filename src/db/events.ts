// The security and audit log (D1 `events`): the one writer, and the catalogue of event types (docs/storage.md).

/** Every event type, `<entity>.<past-tense verb>`. */
export const EVENT_TYPES = [
  "client.registered",
  "client.metadata_rejected",
  "client.deleted",
  "client.blocked",
  "client.unblocked",
  "grant.created",
  "grant.revoked",
  "code.issued",
  "code.redeemed",
  "code.replayed",
  "refresh_token.issued",
  "refresh_token.rotated",
  "refresh_token.replayed",
  "refresh_token.reused",
  "refresh_token.refused",
  "access_token.issued",
  "login.failed",
  "user.created",
  "consent.revoked",
  "user.signed_out",
  "user.blocked",
  "user.unblocked",
  "admin.signed_in",
  "webhook.retried",
  "admin.refused",
  "assertion.redeemed",
  "assertion.rejected",
  "assertion.replayed",
  "provider.linked",
  "provider.disconnected",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface SecurityEvent {
  type: EventType;
  grantId?: string;
  clientId?: string;
  userId?: string;
  /** Non-secret context: the failed check, counts, a correlation id. Never a token, secret or raw email. */
  detail?: Record<string, string | number | boolean>;
}

/** Deletes up to `limit` events recorded before `before` (Unix seconds); returns how many went. */
export async function deleteEventsBefore(db: D1Database, before: number, limit: number): Promise<number> {
  const result = await db.prepare("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY id LIMIT ?)").bind(before, limit).run();
  return result.meta.changes ?? 0;
}

/** D1 binds at most 100 parameters to a statement: 16 events of six columns, with room for a condition's. */
const EVENTS_PER_STATEMENT = 16;

const INSERT = "INSERT INTO events (type, at, grant_id, client_id, user_id, detail)";

/** The statements that append `events`, to batch with the request's other writes (src/http/audit.ts): one per 16. */
export function eventInserts(db: D1Database, events: SecurityEvent[], at = Math.floor(Date.now() / 1000)): D1PreparedStatement[] {
  return chunked(events).map((chunk) => db.prepare(`${INSERT} VALUES ${rows(chunk)}`).bind(...chunk.flatMap((e) => columns(e, at))));
}

/**
 * The statements that append `events` only where the SQL `condition` (its parameters `params`) holds when they run:
 * batched with the read that checks the same, a check and the record of what passed it take one round trip.
 */
export function eventInsertsWhere(db: D1Database, events: SecurityEvent[], condition: string, params: unknown[], at = Math.floor(Date.now() / 1000)): D1PreparedStatement[] {
  return chunked(events).map((chunk) => db.prepare(`${INSERT} SELECT * FROM (VALUES ${rows(chunk)}) WHERE ${condition}`).bind(...chunk.flatMap((e) => columns(e, at)), ...params));
}

function chunked(events: SecurityEvent[]): SecurityEvent[][] {
  const chunks: SecurityEvent[][] = [];
  for (let i = 0; i < events.length; i += EVENTS_PER_STATEMENT) chunks.push(events.slice(i, i + EVENTS_PER_STATEMENT));
  return chunks;
}

function rows(events: SecurityEvent[]): string {
  return events.map(() => "(?, ?, ?, ?, ?, ?)").join(", ");
}

function columns(e: SecurityEvent, at: number): unknown[] {
  return [e.type, at, e.grantId ?? null, e.clientId ?? null, e.userId ?? null, e.detail ? JSON.stringify(e.detail) : null];
}

/** A stored event as the admin API shows it; `detail` parsed back into an object. */
export interface StoredEvent {
  id: number;
  type: string;
  at: number;
  grantId?: string;
  clientId?: string;
  userId?: string;
  detail?: Record<string, unknown>;
}

/** Admin filters: exact matches, and `since`/`until` bounds on `at` (Unix seconds, inclusive). */
export interface EventFilter {
  type?: string;
  grantId?: string;
  clientId?: string;
  userId?: string;
  since?: number;
  until?: number;
}

interface EventRow {
  id: number;
  type: string;
  at: number;
  grant_id: string | null;
  client_id: string | null;
  user_id: string | null;
  detail: string | null;
}

/** Up to `limit` events matching `filter`, newest first, with ids below `before` (the last id of the previous page). */
export async function listEvents(db: D1Database, filter: EventFilter, limit: number, before?: number): Promise<StoredEvent[]> {
  const where: string[] = [];
  const binds: (string | number)[] = [];
  const equal: [string, string | undefined][] = [["type", filter.type], ["grant_id", filter.grantId], ["client_id", filter.clientId], ["user_id", filter.userId]];
  for (const [column, value] of equal) if (value !== undefined) where.push(`${column} = ?`), binds.push(value);
  if (filter.since !== undefined) where.push("at >= ?"), binds.push(filter.since);
  if (filter.until !== undefined) where.push("at <= ?"), binds.push(filter.until);
  if (before !== undefined) where.push("id < ?"), binds.push(before);
  const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
  const { results } = await db.prepare(sql).bind(...binds, limit).all<EventRow>();
  return results.map((row) => ({
    id: row.id,
    type: row.type,
    at: row.at,
    grantId: row.grant_id ?? undefined,
    clientId: row.client_id ?? undefined,
    userId: row.user_id ?? undefined,
    detail: parseDetail(row.detail),
  }));
}

/** The stored JSON object; a row written by hand that is not one is shown as `{ raw }` rather than failing the page. */
function parseDetail(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { raw: text };
}

/** How many events of each of `types` were recorded since `since` (Unix seconds), by index events_type. */
export async function countEvents(db: D1Database, types: readonly string[], since: number): Promise<Map<string, number>> {
  const { results } = await db
    .prepare(`SELECT type, COUNT(*) AS n FROM events WHERE type IN (${types.map(() => "?").join(", ")}) AND at >= ? GROUP BY type`)
    .bind(...types, since)
    .all<{ type: string; n: number }>();
  return new Map(results.map((r) => [r.type, r.n]));
}

/** Events of `type` per UTC day (YYYY-MM-DD) since `since`, by index events_type. */
export async function dailyEvents(db: D1Database, type: string, since: number): Promise<Map<string, number>> {
  const { results } = await db
    .prepare("SELECT date(at, 'unixepoch') AS day, COUNT(*) AS n FROM events WHERE type = ? AND at >= ? GROUP BY day")
    .bind(type, since)
    .all<{ day: string; n: number }>();
  return new Map(results.map((r) => [r.day, r.n]));
}
