// D1 `users`: one row per upstream provider and subject, mapped to a stable internal user id.
import { randomSecret } from "../crypto";
import type { Identity, UpstreamIdentity } from "../identity";
import { touchConsents } from "./consents";
import { insertOutboxIfUserExists, type OutboxEntry } from "./outbox";
import { addUsage, type UsageCount } from "./usage";

/**
 * The internal id of the person behind `profile`, creating the user on first sight (`usr_` + 128 random bits) and
 * otherwise refreshing what the provider says now and `last_seen_at`. One statement, so two first logins at once
 * still yield one user. Name and organisation are kept when a later login omits them.
 * With `onCreate`, its outbox entry is written in the same transaction (`db.batch`) exactly when the user is created,
 * so a first sign-in and its webhook event exist together or not at all.
 */
export async function resolveUser(
  db: D1Database,
  profile: UpstreamIdentity,
  now = Math.floor(Date.now() / 1000),
  onCreate?: (userId: string) => OutboxEntry,
  adminGroups: readonly string[] = [],
): Promise<{ userId: string; created: boolean; blocked: boolean }> {
  const candidate = `usr_${randomSecret(16)}`;
  const upsert = db
    .prepare(
      `INSERT INTO users (id, provider, subject, email, email_verified, domain, org_id, org_name, name, first_seen_at, last_seen_at, admin_groups)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider, subject) DO UPDATE SET
         email = excluded.email, email_verified = excluded.email_verified, domain = excluded.domain,
         org_id = COALESCE(excluded.org_id, users.org_id), org_name = COALESCE(excluded.org_name, users.org_name),
         name = COALESCE(excluded.name, users.name), last_seen_at = excluded.last_seen_at, admin_groups = excluded.admin_groups
       RETURNING id, blocked_at`,
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
      adminGroups.length > 0 ? JSON.stringify(adminGroups) : null,
    );
  // The candidate id is fresh, so a users row with it exists after the upsert exactly when the upsert created it.
  const statements = onCreate ? [upsert, insertOutboxIfUserExists(db, onCreate(candidate), candidate, now)] : [upsert];
  const [result] = await db.batch<{ id: string; blocked_at: number | null }>(statements);
  const row = result?.results[0];
  if (!row) throw new Error("user upsert returned no row");
  return { userId: row.id, created: row.id === candidate, blocked: row.blocked_at !== null };
}

/**
 * Adds `requests` to the user's request count and moves `last_seen_at` forward (never back), the last use of
 * their consent for the client (shown at /account), and `counts` to `usage_daily`, in one batch.
 */
export async function recordUsage(db: D1Database, usage: { userId: string; clientId: string; requests: number; counts: UsageCount[] }, seenAt: number): Promise<void> {
  await db.batch([
    db.prepare("UPDATE users SET request_count = request_count + ?, last_seen_at = MAX(last_seen_at, ?) WHERE id = ?").bind(usage.requests, seenAt, usage.userId),
    touchConsents(db, usage.userId, usage.clientId, seenAt),
    ...usage.counts.map((count) => addUsage(db, count, seenAt)),
  ]);
}

/** A user as the admin API shows it: the person, and when and how much they were seen. */
export interface UserRecord extends Identity {
  firstSeenAt: number;
  lastSeenAt: number;
  requestCount: number;
  /** When an administrator blocked the person (Unix seconds). */
  blockedAt?: number;
}

/** A person as the console's pages and admission see them. */
export interface ConsoleUser extends UserRecord {
  /** Their groups among ADMIN_GROUPS at their last sign-in. */
  adminGroups: string[];
  /** When they last signed out everywhere, epoch milliseconds. */
  sessionsRevokedAt?: number;
}

/** One person by id, with their standing; `undefined` when unknown. */
export async function getUser(db: D1Database, userId: string): Promise<ConsoleUser | undefined> {
  const row = await db.prepare("SELECT * FROM users WHERE id = ?").bind(userId).first<UserRow>();
  if (!row) return undefined;
  return { ...userRecord(row), adminGroups: parseGroups(row.admin_groups ?? null), sessionsRevokedAt: row.sessions_revoked_at ?? undefined };
}

function parseGroups(text: string | null): string[] {
  if (text === null) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
  } catch {
    return [];
  }
}

/** An SQL condition on one parameter, the user id: the person is stored and not blocked (for `eventInsertsWhere`). */
export const STORED_UNBLOCKED = "EXISTS (SELECT 1 FROM users WHERE id = ? AND blocked_at IS NULL)";

/**
 * What a refresh re-checks of the grant's person: blocked, and the email the policy judges; `undefined` when gone.
 * `alongside` runs in the same batch, after the read.
 */
export async function userStanding(db: D1Database, userId: string, alongside: D1PreparedStatement[] = []): Promise<{ blocked: boolean; domain?: string; emailVerified: boolean } | undefined> {
  const read = db.prepare("SELECT blocked_at, domain, email_verified FROM users WHERE id = ?").bind(userId);
  type Row = { blocked_at: number | null; domain: string | null; email_verified: number };
  const row = alongside.length === 0 ? await read.first<Row>() : ((await db.batch<Row>([read, ...alongside]))[0]?.results[0] ?? null);
  return row ? { blocked: row.blocked_at !== null, domain: row.domain ?? undefined, emailVerified: row.email_verified === 1 } : undefined;
}

/** Blocks the person at `at` (Unix seconds); `false` when unknown or already blocked. */
export async function blockUser(db: D1Database, userId: string, at: number): Promise<boolean> {
  const result = await db.prepare("UPDATE users SET blocked_at = ? WHERE id = ? AND blocked_at IS NULL").bind(at, userId).run();
  return (result.meta.changes ?? 0) > 0;
}

/** Lifts the person's block; `false` when they were not blocked. */
export async function unblockUser(db: D1Database, userId: string): Promise<boolean> {
  const result = await db.prepare("UPDATE users SET blocked_at = NULL WHERE id = ? AND blocked_at IS NOT NULL").bind(userId).run();
  return (result.meta.changes ?? 0) > 0;
}

/**
 * People seen since `since` (Unix seconds) per email domain or organisation name, most first. The covering index
 * users_last_seen is named: without statistics the planner would walk the whole users_domain index for the GROUP BY.
 */
export async function activePeopleBy(db: D1Database, by: "domain" | "org_name", since: number, limit: number): Promise<{ key: string; people: number }[]> {
  const { results } = await db
    .prepare(`SELECT ${by} AS key, COUNT(*) AS people FROM users INDEXED BY users_last_seen WHERE last_seen_at >= ? AND ${by} IS NOT NULL GROUP BY ${by} ORDER BY people DESC, key LIMIT ?`)
    .bind(since, limit)
    .all<{ key: string; people: number }>();
  return results;
}

/** How many people there are, how many were seen since `since`, and how many are blocked. */
export async function countPeople(db: D1Database, since: number): Promise<{ total: number; active: number; blocked: number }> {
  const row = await db
    .prepare("SELECT (SELECT COUNT(*) FROM users) AS total, (SELECT COUNT(*) FROM users WHERE last_seen_at >= ?) AS active, (SELECT COUNT(*) FROM users WHERE blocked_at IS NOT NULL) AS blocked")
    .bind(since)
    .first<{ total: number; active: number; blocked: number }>();
  return row ?? { total: 0, active: 0, blocked: 0 };
}

/** Admin search: `email` exact but case-insensitive (providers differ in the local part's case), `domain` exact, `org` the id or the name. */
export interface UserFilter {
  email?: string;
  domain?: string;
  org?: string;
  /** Only people an administrator blocked. */
  blocked?: boolean;
}

interface UserRow {
  blocked_at?: number | null;
  admin_groups?: string | null;
  sessions_revoked_at?: number | null;
  id: string;
  provider: string;
  subject: string;
  email: string | null;
  email_verified: number;
  domain: string | null;
  org_id: string | null;
  org_name: string | null;
  name: string | null;
  first_seen_at: number;
  last_seen_at: number;
  request_count: number;
}

/**
 * Up to `limit` users matching `filter`, oldest first, after the keyset `after` (`[first_seen_at, id]` of the last
 * row of the previous page): keyset pages stay consistent while users are added, unlike OFFSET.
 */
export async function listUsers(db: D1Database, filter: UserFilter, limit: number, after?: readonly [number, string]): Promise<UserRecord[]> {
  const where: string[] = [];
  const binds: (string | number)[] = [];
  if (filter.email !== undefined) where.push("lower(email) = ?"), binds.push(filter.email.toLowerCase());
  if (filter.domain !== undefined) where.push("domain = ?"), binds.push(filter.domain.toLowerCase());
  if (filter.org !== undefined) where.push("(org_id = ? OR org_name = ?)"), binds.push(filter.org, filter.org);
  if (filter.blocked) where.push("blocked_at IS NOT NULL");
  if (after) where.push("(first_seen_at, id) > (?, ?)"), binds.push(after[0], after[1]);
  const sql = `SELECT * FROM users ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY first_seen_at, id LIMIT ?`;
  const { results } = await db.prepare(sql).bind(...binds, limit).all<UserRow>();
  return results.map(userRecord);
}

function userRecord(row: UserRow): UserRecord {
  return {
    userId: row.id,
    provider: row.provider,
    subject: row.subject,
    email: row.email ?? undefined,
    emailVerified: row.email_verified === 1,
    domain: row.domain ?? undefined,
    orgId: row.org_id ?? undefined,
    orgName: row.org_name ?? undefined,
    name: row.name ?? undefined,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    requestCount: row.request_count,
    blockedAt: row.blocked_at ?? undefined,
  };
}

/** The statement recording that the enterprise IdP `issuer` asserted the person (an ID-JAG redeemed at /token), to batch. */
export function enterpriseRecord(db: D1Database, userId: string, issuer: string): D1PreparedStatement {
  return db.prepare("UPDATE users SET enterprise = ? WHERE id = ?").bind(issuer, userId);
}

/** How /account names the person, and when they last signed out everywhere (epoch milliseconds); `undefined` when gone. */
export async function accountHolder(db: D1Database, userId: string): Promise<{ email?: string; name?: string; sessionsRevokedAt?: number } | undefined> {
  const row = await db.prepare("SELECT email, name, sessions_revoked_at FROM users WHERE id = ?").bind(userId).first<{ email: string | null; name: string | null; sessions_revoked_at: number | null }>();
  return row ? { email: row.email ?? undefined, name: row.name ?? undefined, sessionsRevokedAt: row.sessions_revoked_at ?? undefined } : undefined;
}

/** Ends every session of the person that began before `at` (epoch milliseconds). */
export async function revokeSessions(db: D1Database, userId: string, at: number): Promise<void> {
  await db.prepare("UPDATE users SET sessions_revoked_at = ? WHERE id = ?").bind(at, userId).run();
}
