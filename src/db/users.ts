// D1 `users`: one row per upstream provider and subject, mapped to a stable internal user id.
import { randomSecret } from "../crypto";

/** What an upstream login says about the person (src/upstream/federation.ts `UpstreamIdentity`). */
export interface UserProfile {
  provider: string;
  subject: string;
  email?: string;
  emailVerified: boolean;
  domain?: string;
  name?: string;
  orgId?: string;
  orgName?: string;
}

/**
 * The internal id of the person behind `profile`, creating the user on first sight (`usr_` + 128 random bits) and
 * otherwise refreshing what the provider says now and `last_seen_at`. One statement, so two first logins at once
 * still yield one user. Name and organisation are kept when a later login omits them.
 */
export async function resolveUser(db: D1Database, profile: UserProfile, now = Math.floor(Date.now() / 1000)): Promise<{ userId: string; created: boolean }> {
  const candidate = `usr_${randomSecret(16)}`;
  const row = await db
    .prepare(
      `INSERT INTO users (id, provider, subject, email, email_verified, domain, org_id, org_name, name, first_seen_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider, subject) DO UPDATE SET
         email = excluded.email, email_verified = excluded.email_verified, domain = excluded.domain,
         org_id = COALESCE(excluded.org_id, users.org_id), org_name = COALESCE(excluded.org_name, users.org_name),
         name = COALESCE(excluded.name, users.name), last_seen_at = excluded.last_seen_at
       RETURNING id`,
    )
    .bind(
      candidate,
      profile.provider,
      profile.subject,
      profile.email ?? null,
      profile.emailVerified ? 1 : 0,
      profile.domain ?? null,
      profile.orgId ?? null,
      profile.orgName ?? null,
      profile.name ?? null,
      now,
      now,
    )
    .first<{ id: string }>();
  if (!row) throw new Error("user upsert returned no row");
  return { userId: row.id, created: row.id === candidate };
}
