// The security and audit log (D1 `events`): the one writer, and the catalogue of event types (docs/storage.md).

/** Every event type, `<entity>.<past-tense verb>`. */
export type EventType =
  | "client.registered"
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

/** Appends one event. Callers pass the promise to `ctx.waitUntil` so responses are not delayed. */
export async function recordEvent(db: D1Database, event: SecurityEvent, at = Math.floor(Date.now() / 1000)): Promise<void> {
  await db
    .prepare("INSERT INTO events (type, at, grant_id, client_id, user_id, detail) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(event.type, at, event.grantId ?? null, event.clientId ?? null, event.userId ?? null, event.detail ? JSON.stringify(event.detail) : null)
    .run();
}
