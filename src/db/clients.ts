// D1 `clients`: registered OAuth clients (RFC 7591 dynamic, static, and cached metadata documents), and
// `client_blocks`: the client_ids an administrator blocked.

export type TokenEndpointAuthMethod = "none" | "client_secret_basic" | "client_secret_post";

/** A client as Gatehouse knows it; `clientSecretHash` is base64url(SHA-256(secret)). */
export interface ClientRecord {
  clientId: string;
  kind: "dcr" | "cimd" | "static";
  clientSecretHash?: string;
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  applicationType: "web" | "native";
  scope?: string;
  /** The metadata as registered (RFC 7591 §2 names), for display and the registration response. */
  metadata: Record<string, unknown>;
  createdAt: number;
  lastUsedAt?: number;
  /** Metadata documents only: when the document was fetched, and until when it is fresh (Unix seconds). */
  fetchedAt?: number;
  freshUntil?: number;
}

/** Seconds between two `last_used_at` writes for one client: enough for the unused-client sweep, few writes. */
export const TOUCH_INTERVAL = 3600;

interface ClientRow {
  client_id: string;
  kind: ClientRecord["kind"];
  client_secret_hash: string | null;
  client_name: string;
  redirect_uris: string;
  grant_types: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  application_type: ClientRecord["applicationType"];
  scope: string | null;
  metadata: string;
  created_at: number;
  last_used_at: number | null;
  fetched_at: number | null;
  fresh_until: number | null;
}

/** A client_id as storage knows it: the client stored under it, if any, and whether an administrator blocked it. */
export interface ClientEntry {
  record?: ClientRecord;
  blocked: boolean;
}

/** How long an isolate reuses a client entry it read: /token and /mcp sign-ins read one on every request. */
export const CLIENT_CACHE_MS = 60_000;
const CLIENT_CACHE_MAX = 1_000;
const clientCache = new Map<string, { entry: ClientEntry; until: number }>();

/**
 * Looks a client_id up: its stored client and its block, in one query. Entries are reused by the isolate for
 * CLIENT_CACHE_MS (registrations never change in place; a deleted or blocked client's grants are revoked with it,
 * so a stale entry cannot mint tokens).
 */
export async function getClientEntry(db: D1Database, clientId: string, now = Date.now()): Promise<ClientEntry> {
  const cached = clientCache.get(clientId);
  if (cached && cached.until > now) return cached.entry;
  const row = await db
    .prepare(
      `SELECT b.blocked_at AS blocked_at, c.* FROM (SELECT ? AS id) AS q
         LEFT JOIN clients AS c ON c.client_id = q.id LEFT JOIN client_blocks AS b ON b.client_id = q.id`,
    )
    .bind(clientId)
    // A LEFT JOIN row: the client's columns are all null when no client is stored under the id.
    .first<{ [K in keyof ClientRow]: ClientRow[K] | null } & { blocked_at: number | null }>();
  const entry: ClientEntry = { record: row?.client_id ? toRecord(row as ClientRow) : undefined, blocked: row?.blocked_at != null };
  clientCache.delete(clientId);
  clientCache.set(clientId, { entry, until: now + CLIENT_CACHE_MS });
  if (clientCache.size > CLIENT_CACHE_MAX) clientCache.delete(clientCache.keys().next().value ?? "");
  return entry;
}

/** The client stored under `clientId`, if any (blocked or not), through the isolate's cache. */
export async function getClient(db: D1Database, clientId: string, now = Date.now()): Promise<ClientRecord | undefined> {
  return (await getClientEntry(db, clientId, now)).record;
}

/** Forgets this isolate's client entries (e.g. after editing D1 directly). */
export function clearClientCache(): void {
  clientCache.clear();
}

function toRecord(row: ClientRow): ClientRecord {
  return {
    clientId: row.client_id,
    kind: row.kind,
    clientSecretHash: row.client_secret_hash ?? undefined,
    clientName: row.client_name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    grantTypes: JSON.parse(row.grant_types) as string[],
    tokenEndpointAuthMethod: row.token_endpoint_auth_method,
    applicationType: row.application_type,
    scope: row.scope ?? undefined,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at ?? undefined,
    fetchedAt: row.fetched_at ?? undefined,
    freshUntil: row.fresh_until ?? undefined,
  };
}

/**
 * The statement that stores a new client, to batch with its events; arrays and metadata are JSON columns. Fails if
 * the id exists (ids are random). A dynamic registration passes the hash of its duplicate rule (public clients) and
 * of its source (the per-source cap).
 */
export function clientInsert(db: D1Database, client: ClientRecord, registrationHash?: string, sourceHash?: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO clients (client_id, kind, client_secret_hash, client_name, redirect_uris, grant_types,
         token_endpoint_auth_method, application_type, scope, metadata, created_at, last_used_at, registration_hash, source_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      client.clientId,
      client.kind,
      client.clientSecretHash ?? null,
      client.clientName,
      JSON.stringify(client.redirectUris),
      JSON.stringify(client.grantTypes),
      client.tokenEndpointAuthMethod,
      client.applicationType,
      client.scope ?? null,
      JSON.stringify(client.metadata),
      client.createdAt,
      client.lastUsedAt ?? null,
      registrationHash ?? null,
      sourceHash ?? null,
    );
}

/** What a new registration is checked against: the same registration made lately, and the two caps' counts. */
export interface RegistrationState {
  /** The public client registered with `registrationHash` since `since`, which the registration gets back. */
  existing?: ClientRecord;
  /** Dynamically registered clients from the source with `sourceHash` that were never used (the per-source cap). */
  unusedFromSource: number;
  /** Dynamically registered clients in all (the DCR cap). */
  dynamicClients: number;
}

/** The registration's duplicate and both caps' counts in one query: one D1 round trip on the registration's path. */
export async function registrationState(db: D1Database, check: { registrationHash?: string; since: number; sourceHash: string }): Promise<RegistrationState> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM clients WHERE source_hash = ?1 AND last_used_at IS NULL AND kind = 'dcr') AS unused_from_source,
              (SELECT COUNT(*) FROM clients WHERE kind = 'dcr') AS dynamic_clients, c.*
       FROM (SELECT 1) LEFT JOIN clients AS c ON c.client_id =
         (SELECT client_id FROM clients WHERE registration_hash = ?2 AND created_at >= ?3 AND kind = 'dcr' ORDER BY created_at DESC LIMIT 1)`,
    )
    .bind(check.sourceHash, check.registrationHash ?? null, check.since)
    // A LEFT JOIN row: the client's columns are all null when there is no such registration.
    .first<{ [K in keyof ClientRow]: ClientRow[K] | null } & { unused_from_source: number; dynamic_clients: number }>();
  return {
    existing: row?.client_id ? toRecord(row as ClientRow) : undefined,
    unusedFromSource: row?.unused_from_source ?? 0,
    dynamicClients: row?.dynamic_clients ?? 0,
  };
}

/** How many dynamically registered clients exist (the DCR cap). */
export async function countDynamicClients(db: D1Database): Promise<number> {
  return (await db.prepare("SELECT COUNT(*) AS n FROM clients WHERE kind = 'dcr'").first<{ n: number }>())?.n ?? 0;
}

/** Deletes the `count` oldest dynamically registered clients that were never used; returns how many went. */
export async function deleteOldestUnusedDynamicClients(db: D1Database, count: number): Promise<number> {
  if (count <= 0) return 0;
  const result = await db
    .prepare("DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients WHERE kind = 'dcr' AND last_used_at IS NULL ORDER BY created_at, client_id LIMIT ?)")
    .bind(count)
    .run();
  return result.meta.changes ?? 0;
}

/**
 * Deletes up to `limit` dynamically registered clients that were never used within `unusedAfter` seconds of
 * registering, or not used for `idleAfter` seconds; returns how many went.
 */
export async function deleteStaleDynamicClients(db: D1Database, now: number, unusedAfter: number, idleAfter: number, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients WHERE kind = 'dcr'
         AND ((last_used_at IS NULL AND created_at < ?) OR last_used_at < ?) LIMIT ?)`,
    )
    .bind(now - unusedAfter, now - idleAfter, limit)
    .run();
  return result.meta.changes ?? 0;
}

/**
 * Deletes up to `limit` cached metadata documents past their stale-serving period and not used at the token endpoint
 * since `usedBefore`: only /authorize fetches a document, so a row whose grants still refresh must stay.
 */
export async function deleteExpiredMetadataClients(db: D1Database, fetchedBefore: number, usedBefore: number, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM clients WHERE client_id IN (SELECT client_id FROM clients WHERE kind = 'cimd' AND fetched_at < ?
         AND (last_used_at IS NULL OR last_used_at < ?) LIMIT ?)`,
    )
    .bind(fetchedBefore, usedBefore, limit)
    .run();
  return result.meta.changes ?? 0;
}

/** How many metadata documents are cached (the MAX_CIMD_CLIENTS cap). */
export async function countMetadataClients(db: D1Database): Promise<number> {
  return (await db.prepare("SELECT COUNT(*) AS n FROM clients WHERE kind = 'cimd'").first<{ n: number }>())?.n ?? 0;
}

/** Deletes the oldest cached document never used at the token endpoint and first seen before `createdBefore`; `false` when there is none. */
export async function evictUnusedMetadataClient(db: D1Database, createdBefore: number): Promise<boolean> {
  const result = await db
    .prepare(
      `DELETE FROM clients WHERE client_id = (SELECT client_id FROM clients WHERE kind = 'cimd' AND last_used_at IS NULL AND created_at < ?
         ORDER BY created_at LIMIT 1)`,
    )
    .bind(createdBefore)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/** Stores a freshly fetched metadata document (kind `cimd`), replacing the cached copy; keeps its first-seen time. */
export async function saveMetadataClient(db: D1Database, client: ClientRecord & { fetchedAt: number; freshUntil: number }): Promise<void> {
  await db
    .prepare(
      `INSERT INTO clients (client_id, kind, client_name, redirect_uris, grant_types, token_endpoint_auth_method, application_type,
         scope, metadata, created_at, fetched_at, fresh_until)
       VALUES (?, 'cimd', ?, ?, ?, 'none', ?, ?, ?, ?, ?, ?)
       ON CONFLICT (client_id) DO UPDATE SET client_name = excluded.client_name, redirect_uris = excluded.redirect_uris,
         grant_types = excluded.grant_types, application_type = excluded.application_type, scope = excluded.scope,
         metadata = excluded.metadata, fetched_at = excluded.fetched_at, fresh_until = excluded.fresh_until
       WHERE clients.kind = 'cimd'`,
    )
    .bind(
      client.clientId,
      client.clientName,
      JSON.stringify(client.redirectUris),
      JSON.stringify(client.grantTypes),
      client.applicationType,
      client.scope ?? null,
      JSON.stringify(client.metadata),
      client.createdAt,
      client.fetchedAt,
      client.freshUntil,
    )
    .run();
  clientCache.delete(client.clientId);
}

/**
 * The write that records a client's use, at most once per `TOUCH_INTERVAL`, so the sweep can find unused clients;
 * this isolate's cached record counts it at once.
 */
export function clientTouch(db: D1Database, clientId: string, now = Math.floor(Date.now() / 1000)): D1PreparedStatement {
  const cached = clientCache.get(clientId)?.entry.record;
  if (cached) cached.lastUsedAt = now;
  return db
    .prepare("UPDATE clients SET last_used_at = ? WHERE client_id = ? AND (last_used_at IS NULL OR last_used_at <= ?)")
    .bind(now, clientId, now - TOUCH_INTERVAL);
}

/** Columns the admin listing reads: every one but `client_secret_hash`, which never leaves the token endpoint's checks. */
const LISTED_COLUMNS = `client_id, kind, NULL AS client_secret_hash, client_name, redirect_uris, grant_types, token_endpoint_auth_method,
  application_type, scope, metadata, created_at, last_used_at, fetched_at, fresh_until`;

/** Up to `limit` clients stored in D1, oldest first, after the keyset `after` (`[created_at, client_id]`); never with a secret hash. */
export async function listClients(db: D1Database, limit: number, after?: readonly [number, string]): Promise<ClientRecord[]> {
  const statement = after
    ? db.prepare(`SELECT ${LISTED_COLUMNS} FROM clients WHERE (created_at, client_id) > (?, ?) ORDER BY created_at, client_id LIMIT ?`).bind(after[0], after[1], limit)
    : db.prepare(`SELECT ${LISTED_COLUMNS} FROM clients ORDER BY created_at, client_id LIMIT ?`).bind(limit);
  const { results } = await statement.all<ClientRow>();
  return results.map(toRecord);
}

/** Deletes a client and drops this isolate's cached copy at once; `false` when there was none. */
export async function deleteClient(db: D1Database, clientId: string): Promise<boolean> {
  clientCache.delete(clientId);
  const result = await db.prepare("DELETE FROM clients WHERE client_id = ?").bind(clientId).run();
  return (result.meta.changes ?? 0) > 0;
}

/** A blocked client_id and when it was blocked (Unix seconds). */
export interface ClientBlock {
  clientId: string;
  blockedAt: number;
}

/** Blocks `clientId` (stored or not) and drops this isolate's cached entry; `false` when it was blocked already. */
export async function blockClient(db: D1Database, clientId: string, now: number): Promise<boolean> {
  clientCache.delete(clientId);
  const result = await db.prepare("INSERT INTO client_blocks (client_id, blocked_at) VALUES (?, ?) ON CONFLICT (client_id) DO NOTHING").bind(clientId, now).run();
  return (result.meta.changes ?? 0) > 0;
}

/** Lifts the block of `clientId`; `false` when there was none. */
export async function unblockClient(db: D1Database, clientId: string): Promise<boolean> {
  clientCache.delete(clientId);
  const result = await db.prepare("DELETE FROM client_blocks WHERE client_id = ?").bind(clientId).run();
  return (result.meta.changes ?? 0) > 0;
}

/** Up to `limit` blocks, oldest first, after the keyset `after` (`[blocked_at, client_id]`). */
export async function listClientBlocks(db: D1Database, limit: number, after?: readonly [number, string]): Promise<ClientBlock[]> {
  const statement = after
    ? db.prepare("SELECT * FROM client_blocks WHERE (blocked_at, client_id) > (?, ?) ORDER BY blocked_at, client_id LIMIT ?").bind(after[0], after[1], limit)
    : db.prepare("SELECT * FROM client_blocks ORDER BY blocked_at, client_id LIMIT ?").bind(limit);
  const { results } = await statement.all<{ client_id: string; blocked_at: number }>();
  return results.map((row) => ({ clientId: row.client_id, blockedAt: row.blocked_at }));
}
