// D1 `consents`: which clients a person approved, for which redirect host and scopes (migrations/0005_consents.sql),
// and the session view /authorize and /account need of that person in one round trip.

/** What /authorize knows of a signed-in browser's person: whether their sessions still count, and their consent. */
export interface SessionView {
  /** Epoch milliseconds of the last "sign out everywhere", if any. */
  sessionsRevokedAt?: number;
  /** Scopes already approved for this client and redirect host; `undefined` when never approved. */
  approvedScopes?: string[];
  /** The resources those scopes were approved for; `undefined` for a consent recorded before resources were kept. */
  approvedResources?: string[];
  /** The person's email as last seen, for the consent page's "Continue as". */
  email?: string;
}

/** The person's session state and their consent for `clientId` at `redirectHost`; `undefined` when the user is gone. */
export async function sessionView(db: D1Database, userId: string, clientId: string, redirectHost: string): Promise<SessionView | undefined> {
  const row = await db
    .prepare(
      `SELECT u.sessions_revoked_at, u.email, c.scope, c.resources FROM users u
       LEFT JOIN consents c ON c.user_id = u.id AND c.client_id = ? AND c.redirect_host = ?
       WHERE u.id = ?`,
    )
    .bind(clientId, redirectHost, userId)
    .first<{ sessions_revoked_at: number | null; email: string | null; scope: string | null; resources: string | null }>();
  if (!row) return undefined;
  return {
    sessionsRevokedAt: row.sessions_revoked_at ?? undefined,
    approvedScopes: row.scope === null ? undefined : (JSON.parse(row.scope) as string[]),
    approvedResources: row.resources === null ? undefined : (JSON.parse(row.resources) as string[]),
    email: row.email ?? undefined,
  };
}

/** A consent just given: the person approved `scopes` for `resource` for the client at the redirect host. */
export interface ConsentGiven {
  userId: string;
  clientId: string;
  redirectHost: string;
  scopes: string[];
  resource: string;
  /** What a row from before resources were kept stands for (the built-in /mcp). */
  legacyResource: string;
}

/** The statement remembering `consent`, adding to what the person approved before (batched with the grant's index row). */
export function consentUpsert(db: D1Database, consent: ConsentGiven, now = Math.floor(Date.now() / 1000)): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO consents (user_id, client_id, redirect_host, scope, resources, created_at, updated_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id, client_id, redirect_host) DO UPDATE SET
         scope = (SELECT json_group_array(value) FROM (SELECT value FROM json_each(consents.scope) UNION SELECT value FROM json_each(excluded.scope))),
         resources = (SELECT json_group_array(value) FROM (SELECT value FROM json_each(COALESCE(consents.resources, json_array(?)))
                      UNION SELECT value FROM json_each(excluded.resources))),
         updated_at = excluded.updated_at, last_used_at = excluded.last_used_at`,
    )
    .bind(consent.userId, consent.clientId, consent.redirectHost, JSON.stringify(consent.scopes), JSON.stringify([consent.resource]), now, now, now, consent.legacyResource);
}

/** A statement moving the last use of the person's consents for a client forward (batched with usage counts). */
export function touchConsents(db: D1Database, userId: string, clientId: string, usedAt: number): D1PreparedStatement {
  return db.prepare("UPDATE consents SET last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE user_id = ? AND client_id = ?").bind(usedAt, userId, clientId);
}

/** One connected application as /account lists it: a client with every redirect host the person approved for it. */
export interface ConnectedApp {
  clientId: string;
  /** The client's name; `undefined` when its record is gone (a metadata document not fetched lately). */
  clientName?: string;
  kind?: string;
  redirectHosts: string[];
  scopes: string[];
  /** The protected resources (RFC 8707) of the person's grants to it still indexed, as recorded: which servers it uses. */
  resources: string[];
  firstUsedAt: number;
  lastUsedAt?: number;
}

/** The person's connected applications, most recently used first. */
export async function listConnectedApps(db: D1Database, userId: string): Promise<ConnectedApp[]> {
  const { results } = await db
    .prepare(
      `SELECT c.client_id, cl.client_name, cl.kind, json_group_array(c.redirect_host) AS hosts,
         (SELECT json_group_array(DISTINCT s.value) FROM consents c2, json_each(c2.scope) s WHERE c2.user_id = c.user_id AND c2.client_id = c.client_id) AS scopes,
         (SELECT json_group_array(DISTINCT g.resource) FROM grants g WHERE g.user_id = c.user_id AND g.client_id = c.client_id AND g.resource IS NOT NULL) AS resources,
         MIN(c.created_at) AS first_used_at, MAX(c.last_used_at) AS last_used_at
       FROM consents c LEFT JOIN clients cl ON cl.client_id = c.client_id
       WHERE c.user_id = ? GROUP BY c.client_id ORDER BY MAX(COALESCE(c.last_used_at, c.created_at)) DESC LIMIT 200`,
    )
    .bind(userId)
    .all<{ client_id: string; client_name: string | null; kind: string | null; hosts: string; scopes: string; resources: string; first_used_at: number; last_used_at: number | null }>();
  return results.map((row) => ({
    clientId: row.client_id,
    clientName: row.client_name ?? undefined,
    kind: row.kind ?? undefined,
    redirectHosts: JSON.parse(row.hosts) as string[],
    scopes: JSON.parse(row.scopes) as string[],
    resources: (JSON.parse(row.resources) as string[]).sort(),
    firstUsedAt: row.first_used_at,
    lastUsedAt: row.last_used_at ?? undefined,
  }));
}

/** Forgets every consent the person gave the client; `false` when there was none. */
export async function forgetConsents(db: D1Database, userId: string, clientId: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM consents WHERE user_id = ? AND client_id = ?").bind(userId, clientId).run();
  return (result.meta.changes ?? 0) > 0;
}

/** Forgets every consent given to the client, by anyone (it was blocked; a deleted client's go by trigger). */
export async function forgetClientConsents(db: D1Database, clientId: string): Promise<number> {
  const result = await db.prepare("DELETE FROM consents WHERE client_id = ?").bind(clientId).run();
  return result.meta.changes ?? 0;
}
