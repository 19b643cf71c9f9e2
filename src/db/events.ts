// The security and audit log (D1 `events`): the one writer, and the catalogue of event types (docs/storage.md).

/** Every event type, `<entity>.<past-tense verb>`. */
export type EventType =
  | "client.registered"
  | "client.metadata_rejected"
  | "grant.created"
  | "grant.revoked"
  | "grant.expired"
  | "code.issued"
  | "code.redeemed"
  | "code.replayed"
  | "refresh_token.issued"
  | "refresh_token.rotated"
  | "refresh_token.replayed"
  | "refresh_token.reused"
  | "access_token.issued"
  | "login.failed"
  | "user.created";

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

/** Appends events in one batch (one round trip). Callers pass the promise to `ctx.waitUntil` so responses are not delayed. */
export async function recordEvents(db: D1Database, events: SecurityEvent[], at = Math.floor(Date.now() / 1000)): Promise<void> {
  if (events.length === 0) return;
  const insert = db.prepare("INSERT INTO events (type, at, grant_id, client_id, user_id, detail) VALUES (?, ?, ?, ?, ?, ?)");
  await db.batch(events.map((e) => insert.bind(e.type, at, e.grantId ?? null, e.clientId ?? null, e.userId ?? null, e.detail ? JSON.stringify(e.detail) : null)));
}
