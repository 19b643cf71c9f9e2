// D1 `outbox`: webhook events waiting for, or done with, at-least-once delivery (src/webhook/deliver.ts).

/** An event to deliver: its id, type and the exact JSON body every attempt sends. */
export interface OutboxEntry {
  id: string;
  type: string;
  payload: string;
}

export type OutboxStatus = "pending" | "delivered" | "dead";

/** A stored outbox row. */
export interface OutboxRecord extends OutboxEntry {
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  createdAt: number;
  deliveredAt?: number;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

function record(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    type: row.type,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error ?? undefined,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at ?? undefined,
  };
}

/**
 * The insert of `entry`, due at once, that writes a row only when the user `userId` exists — meant to run in the same
 * `db.batch` (one transaction) right after the users upsert, so the event exists exactly when the user was created.
 */
export function insertOutboxIfUserExists(db: D1Database, entry: OutboxEntry, userId: string, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO outbox (id, type, payload, status, attempts, next_attempt_at, created_at)
       SELECT ?, ?, ?, 'pending', 0, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)`,
    )
    .bind(entry.id, entry.type, entry.payload, now, now, userId);
}

/**
 * Claims the pending row `id` if it is due: moves `next_attempt_at` to `leaseUntil`, so neither the sweep nor another
 * isolate sends it meanwhile; a sender that dies leaves the row to be retried once the lease ends.
 */
export async function claimOutbox(db: D1Database, id: string, now: number, leaseUntil: number): Promise<OutboxRecord | undefined> {
  const row = await db
    .prepare("UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND status = 'pending' AND next_attempt_at <= ? RETURNING *")
    .bind(leaseUntil, id, now)
    .first<OutboxRow>();
  return row ? record(row) : undefined;
}

/** Claims up to `limit` due pending rows, oldest due first, as `claimOutbox` does. */
export async function claimDueOutbox(db: D1Database, now: number, leaseUntil: number, limit: number): Promise<OutboxRecord[]> {
  const { results } = await db
    .prepare(
      `UPDATE outbox SET next_attempt_at = ? WHERE id IN (
         SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?
       ) RETURNING *`,
    )
    .bind(leaseUntil, now, limit)
    .all<OutboxRow>();
  return results.map(record);
}

/** Records a successful attempt. */
export async function markDelivered(db: D1Database, id: string, now: number): Promise<void> {
  await db.prepare("UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?").bind(now, id).run();
}

/** Records a failed attempt: pending again at `nextAttemptAt`, or dead when `nextAttemptAt` is undefined. */
export async function markFailed(db: D1Database, id: string, error: string, nextAttemptAt: number | undefined): Promise<void> {
  await db
    .prepare("UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ?")
    .bind(nextAttemptAt === undefined ? "dead" : "pending", error, nextAttemptAt ?? null, id)
    .run();
}

/** Sets a dead row back to pending, due at `now`; false when there is no dead row `id`. */
export async function resurrectOutbox(db: D1Database, id: string, now: number): Promise<boolean> {
  const result = await db.prepare("UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id = ? AND status = 'dead'").bind(now, id).run();
  return result.meta.changes > 0;
}

/** The row `id`, if any. */
export async function getOutbox(db: D1Database, id: string): Promise<OutboxRecord | undefined> {
  const row = await db.prepare("SELECT * FROM outbox WHERE id = ?").bind(id).first<OutboxRow>();
  return row ? record(row) : undefined;
}

/** Up to `limit` dead rows, oldest first, after the keyset `after` (`[created_at, id]`). */
export async function listDeadOutbox(db: D1Database, limit: number, after?: readonly [number, string]): Promise<OutboxRecord[]> {
  const sql = `SELECT * FROM outbox WHERE status = 'dead' ${after ? "AND (created_at, id) > (?, ?)" : ""} ORDER BY created_at, id LIMIT ?`;
  const { results } = await db
    .prepare(sql)
    .bind(...(after ? [after[0], after[1]] : []), limit)
    .all<OutboxRow>();
  return results.map(record);
}

/** Deletes up to `limit` rows delivered before `before`; returns how many. */
export async function deleteDeliveredBefore(db: D1Database, before: number, limit: number): Promise<number> {
  const result = await db
    .prepare("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'delivered' AND delivered_at < ? LIMIT ?)")
    .bind(before, limit)
    .run();
  return result.meta.changes;
}

/** Up to `limit` rows waiting for delivery, oldest first. */
export async function listPendingOutbox(db: D1Database, limit: number): Promise<OutboxRecord[]> {
  const { results } = await db.prepare("SELECT * FROM outbox WHERE status = 'pending' ORDER BY created_at, id LIMIT ?").bind(limit).all<OutboxRow>();
  return results.map(record);
}
