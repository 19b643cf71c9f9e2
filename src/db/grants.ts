// D1 `grants`: the index of Grant Durable Objects, for listing and bulk revocation.

export interface GrantIndexRow {
  id: string;
  userId: string;
  clientId: string;
  scope: string;
  /** The RFC 8707 resource its tokens are bound to; `undefined` on rows written before it was recorded. */
  resource?: string;
  status: "active" | "revoked" | "expired";
  createdAt: number;
  expiresAt: number;
}

/** The statement recording (or refreshing) a grant in the index, to batch with others. */
export function grantIndexUpsert(db: D1Database, row: GrantIndexRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO grants (id, user_id, client_id, scope, resource, status, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, scope = excluded.scope, resource = COALESCE(excluded.resource, grants.resource), expires_at = excluded.expires_at`,
    )
    .bind(row.id, row.userId, row.clientId, row.scope, row.resource ?? null, row.status, row.createdAt, row.expiresAt);
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

interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  scope: string;
  resource: string | null;
  status: GrantIndexRow["status"];
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** An index row as the admin API shows it. */
export type GrantListing = GrantIndexRow & { revokedAt?: number };

function toListing(row: GrantRow): GrantListing {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scope: row.scope,
    resource: row.resource ?? undefined,
    status: row.status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at ?? undefined,
  };
}

/** One index row, or `undefined`. */
export async function getGrantIndex(db: D1Database, id: string): Promise<GrantListing | undefined> {
  const row = await db.prepare("SELECT * FROM grants WHERE id = ?").bind(id).first<GrantRow>();
  return row ? toListing(row) : undefined;
}

/** Up to `limit` of a user's grants in any status, newest first, after the keyset `before` (`[created_at, id]`). */
export async function listUserGrants(db: D1Database, userId: string, limit: number, before?: readonly [number, string]): Promise<GrantListing[]> {
  const statement = before
    ? db.prepare("SELECT * FROM grants WHERE user_id = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?").bind(userId, before[0], before[1], limit)
    : db.prepare("SELECT * FROM grants WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?").bind(userId, limit);
  const { results } = await statement.all<GrantRow>();
  return results.map(toListing);
}

/** Up to `limit` grants of one client, one user, or one user's of one client or resources that the index still believes live (active, unexpired at `now`). */
export async function listLiveGrants(db: D1Database, owner: GrantOwner, now: number, limit: number): Promise<GrantListing[]> {
  const resources = "resources" in owner ? (owner.resources ?? []) : [];
  // Grants for none of no resources: never "every grant of the user".
  if ("resources" in owner && owner.resources !== undefined && resources.length === 0) return [];
  const where = [
    ...("userId" in owner ? ["user_id = ?"] : []),
    ...(owner.clientId !== undefined ? ["client_id = ?"] : []),
    ...(resources.length > 0 ? [`resource IN (${resources.map(() => "?").join(", ")})`] : []),
  ].join(" AND ");
  const values = [...("userId" in owner ? [owner.userId] : []), ...(owner.clientId !== undefined ? [owner.clientId] : []), ...resources];
  const { results } = await db
    .prepare(`SELECT * FROM grants WHERE ${where} AND status = 'active' AND expires_at > ? ORDER BY created_at, id LIMIT ?`)
    .bind(...values, now, limit)
    .all<GrantRow>();
  return results.map(toListing);
}

/** Whose grants: a client's, a user's, or one user's of one client or for some resources (non-empty). */
export type GrantOwner = { clientId: string } | { userId: string; clientId?: string; resources?: string[] };

/** Up to `limit` of a user's grants that the index believes live, newest first. */
export async function newestLiveGrants(db: D1Database, userId: string, now: number, limit: number): Promise<GrantListing[]> {
  const { results } = await db
    .prepare("SELECT * FROM grants WHERE user_id = ? AND status = 'active' AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .bind(userId, now, limit)
    .all<GrantRow>();
  return results.map(toListing);
}

/** Per client of `clientIds`: its first and latest grant (Unix seconds) and how many people it has had grants for. */
export async function clientGrantStats(db: D1Database, clientIds: readonly string[]): Promise<Map<string, { firstUsedAt: number; lastGrantAt: number; people: number }>> {
  if (clientIds.length === 0) return new Map();
  const { results } = await db
    .prepare(`SELECT client_id, MIN(created_at) AS first_used_at, MAX(created_at) AS last_grant_at, COUNT(DISTINCT user_id) AS people FROM grants WHERE client_id IN (${clientIds.map(() => "?").join(", ")}) GROUP BY client_id`)
    .bind(...clientIds)
    .all<{ client_id: string; first_used_at: number; last_grant_at: number; people: number }>();
  return new Map(results.map((r) => [r.client_id, { firstUsedAt: r.first_used_at, lastGrantAt: r.last_grant_at, people: r.people }]));
}
