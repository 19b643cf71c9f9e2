// D1 `grants`: the index of Grant Durable Objects, for listing and bulk revocation.

export interface GrantIndexRow {
  id: string;
  userId: string;
  clientId: string;
  scope: string;
  status: "active" | "revoked" | "expired";
  createdAt: number;
  expiresAt: number;
}

/** Records (or refreshes) a grant in the index. */
export async function upsertGrantIndex(db: D1Database, row: GrantIndexRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO grants (id, user_id, client_id, scope, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, scope = excluded.scope, expires_at = excluded.expires_at`,
    )
    .bind(row.id, row.userId, row.clientId, row.scope, row.status, row.createdAt, row.expiresAt)
    .run();
}

/** Marks a grant revoked in the index. */
export async function markGrantRevoked(db: D1Database, id: string, at: number): Promise<void> {
  await db.prepare("UPDATE grants SET status = 'revoked', revoked_at = ? WHERE id = ?").bind(at, id).run();
}

/** Deletes up to `limit` index rows whose grant has expired or was revoked and is past its expiry. */
export async function deleteExpiredGrantIndex(db: D1Database, now: number, limit: number): Promise<number> {
  const result = await db
    .prepare("DELETE FROM grants WHERE id IN (SELECT id FROM grants WHERE expires_at < ? LIMIT ?)")
    .bind(now, limit)
    .run();
  return result.meta.changes ?? 0;
}
