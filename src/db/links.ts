// D1 `provider_links`: the accounts a person connected at linked providers (migrations/0011_provider_links.sql).

/** One linked account, as /account lists it and the chained sign-in looks it up. */
export interface ProviderLink {
  userId: string;
  provider: string;
  /** The account's stable id at the provider (GitHub's numeric id). */
  subject: string;
  /** How the person recognises the account: its email, name or login there. */
  label?: string;
  /** The grant whose vault holds the provider's tokens from the newest connection. */
  grantId: string;
  /** Epoch seconds. */
  linkedAt: number;
  /** Whether that grant is live in the grants index (active, unexpired). */
  live: boolean;
}

interface LinkRow {
  user_id: string;
  provider: string;
  subject: string;
  label: string | null;
  grant_id: string;
  linked_at: number;
  live: number;
}

const SELECT = `SELECT l.*, (g.status = 'active' AND g.expires_at > ?) AS live FROM provider_links l LEFT JOIN grants g ON g.id = l.grant_id`;

function toLink(row: LinkRow): ProviderLink {
  return { userId: row.user_id, provider: row.provider, subject: row.subject, label: row.label ?? undefined, grantId: row.grant_id, linkedAt: row.linked_at, live: row.live === 1 };
}

/** Records (or moves to `grantId`) the person's link to `provider`: the newest connection wins. */
export async function recordLink(db: D1Database, link: Omit<ProviderLink, "live">): Promise<void> {
  await db
    .prepare(
      `INSERT INTO provider_links (user_id, provider, subject, label, grant_id, linked_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, provider) DO UPDATE SET subject = excluded.subject, label = excluded.label, grant_id = excluded.grant_id, linked_at = excluded.linked_at`,
    )
    .bind(link.userId, link.provider, link.subject, link.label ?? null, link.grantId, link.linkedAt)
    .run();
}

/** The person's links, by provider name. `now` (epoch seconds) decides liveness. */
export async function listLinks(db: D1Database, userId: string, now: number): Promise<ProviderLink[]> {
  const { results } = await db.prepare(`${SELECT} WHERE l.user_id = ? ORDER BY l.provider`).bind(now, userId).all<LinkRow>();
  return results.map(toLink);
}

/** Forgets the person's link to `provider`; whether there was one. */
export async function deleteLink(db: D1Database, userId: string, provider: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM provider_links WHERE user_id = ? AND provider = ?").bind(userId, provider).run();
  return (result.meta.changes ?? 0) > 0;
}
