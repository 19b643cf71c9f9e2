// D1 `feedback`: what people sent with the `submit_feedback` tool (migrations/0012_console.sql), stored together
// with its `feedback.submitted` webhook event in one batch; listed by the console and the admin API.
import type { OutboxEntry } from "./outbox";

/** One submission: the person as their access token verified them, and what they sent. */
export interface FeedbackEntry {
  id: string;
  createdAt: number;
  userId: string;
  email?: string;
  domain?: string;
  orgId?: string;
  orgName?: string;
  clientId: string;
  category: string;
  message: string;
  context?: string;
}

/** Stores `entry` and, when a webhook is configured, its outbox event in one transaction: both or neither. */
export async function insertFeedback(db: D1Database, entry: FeedbackEntry, event: OutboxEntry | undefined): Promise<void> {
  const insert = db
    .prepare("INSERT INTO feedback (id, created_at, user_id, email, domain, org_id, org_name, client_id, category, message, context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(entry.id, entry.createdAt, entry.userId, entry.email ?? null, entry.domain ?? null, entry.orgId ?? null, entry.orgName ?? null, entry.clientId, entry.category, entry.message, entry.context ?? null);
  const statements = [insert];
  if (event) {
    statements.push(
      db.prepare("INSERT INTO outbox (id, type, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)").bind(event.id, event.type, event.payload, entry.createdAt, entry.createdAt),
    );
  }
  await db.batch(statements);
}

interface FeedbackRow {
  id: string;
  created_at: number;
  user_id: string;
  email: string | null;
  domain: string | null;
  org_id: string | null;
  org_name: string | null;
  client_id: string;
  category: string;
  message: string;
  context: string | null;
}

/** Up to `limit` submissions, newest first, before the keyset `before` (`[created_at, id]`), optionally of one person. */
export async function listFeedback(db: D1Database, filter: { userId?: string }, limit: number, before?: readonly [number, string]): Promise<FeedbackEntry[]> {
  const where: string[] = [];
  const binds: (string | number)[] = [];
  if (filter.userId !== undefined) where.push("user_id = ?"), binds.push(filter.userId);
  if (before) where.push("(created_at, id) < (?, ?)"), binds.push(before[0], before[1]);
  const sql = `SELECT * FROM feedback ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`;
  const { results } = await db.prepare(sql).bind(...binds, limit).all<FeedbackRow>();
  return results.map((row) => ({
    id: row.id,
    createdAt: row.created_at,
    userId: row.user_id,
    email: row.email ?? undefined,
    domain: row.domain ?? undefined,
    orgId: row.org_id ?? undefined,
    orgName: row.org_name ?? undefined,
    clientId: row.client_id,
    category: row.category,
    message: row.message,
    context: row.context ?? undefined,
  }));
}
