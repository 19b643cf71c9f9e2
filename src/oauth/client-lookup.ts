// Finds the client behind a client_id: declared in STATIC_CLIENTS, registered in D1, or a Client ID Metadata
// Document URL. Only /authorize fetches a document (on first use, and when its cached copy in D1 is no longer
// fresh); the token, revocation and introspection endpoints accept only what is already stored.
import type { Context } from "hono";
import type { StaticClient } from "../config";
import { sha256 } from "../crypto";
import { type ClientRecord, countMetadataClients, evictUnusedMetadataClient, getClientEntry, saveMetadataClient } from "../db/clients";
import type { AppEnv } from "../http/app-env";
import { audit } from "../http/audit";
import { type FetchResult, fetchDocument } from "./cimd";
import { CIMD_EVICT_AFTER, CIMD_FAILURE_TTL, isMetadataDocumentUrl, servesStale } from "../policy/cimd";
import { OAuthError } from "../errors";

/** A failed fetch this isolate remembers: until when (milliseconds), what failed, and whether the document is gone. */
interface Failure {
  until: number;
  problem: string;
  gone: boolean;
}
const failures = new Map<string, Failure>();
const FAILURES_MAX = 1_000;

/**
 * The client for `clientId` at /authorize: a registered one from D1, or for a metadata document URL the cached
 * document while fresh, else a new fetch (at most one per URL per CIMD_FAILURE_TTL while fetches fail). When the
 * fetch fails, a cached copy younger than 7 days still serves, unless the origin answered 404 or 410. Anything else
 * is `invalid_client`, whose description says only that the document was refused; what the fetch saw goes to the
 * security log.
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 */
export async function lookupClient(c: Context<AppEnv>, clientId: string): Promise<ClientRecord | undefined> {
  const cached = await knownClient(c, clientId);
  if (!isMetadataDocumentUrl(clientId) || (cached && cached.kind !== "cimd")) return cached;
  const now = Math.floor(Date.now() / 1000);
  if (cached?.freshUntil !== undefined && cached.freshUntil > now) return cached;
  let failure = recentFailure(clientId);
  if (!failure) {
    if (!cached) await makeRoom(c, now);
    const fetched = await fetchDocument(clientId);
    if (fetched.ok) {
      failures.delete(clientId);
      return store(c, clientId, fetched, cached, now);
    }
    failure = rememberFailure(clientId, fetched.problem, fetched.gone === true);
    audit(c, { type: "client.metadata_rejected", clientId, detail: { problem: fetched.problem, served_stale: servesStale(cached?.fetchedAt, now, failure.gone) } });
  }
  if (servesStale(cached?.fetchedAt, now, failure.gone)) return cached;
  throw new OAuthError("invalid_client", "the client's metadata document was refused", { reason: failure.problem });
}

/**
 * The client for `clientId` at the token, revocation and introspection endpoints: static or stored in D1, never
 * fetched. A metadata document is stored by /authorize, which every grant of it went through, so an unknown
 * document URL here is an unknown client, and no attacker-chosen URL is fetched for an unauthenticated request.
 * A blocked client_id is `invalid_client` here and at /authorize, whatever its kind.
 */
export async function knownClient(c: Context<AppEnv>, clientId: string): Promise<ClientRecord | undefined> {
  const entry = await getClientEntry(c.env.DB, clientId);
  if (entry.blocked) throw new OAuthError("invalid_client", "this client is blocked on this server", { reason: "client blocked by an administrator" });
  const declared = c.get("config").staticClients.find((s) => s.clientId === clientId);
  if (declared) return staticRecord(declared);
  return entry.record;
}

function recentFailure(clientId: string): Failure | undefined {
  const failure = failures.get(clientId);
  if (!failure || failure.until > Date.now()) return failure;
  failures.delete(clientId);
  return undefined;
}

function rememberFailure(clientId: string, problem: string, gone: boolean): Failure {
  const failure: Failure = { until: Date.now() + CIMD_FAILURE_TTL * 1000, problem, gone };
  failures.delete(clientId);
  failures.set(clientId, failure);
  if (failures.size > FAILURES_MAX) failures.delete(failures.keys().next().value ?? "");
  return failure;
}

/**
 * Keeps the cache of documents within MAX_CIMD_CLIENTS before a new one is fetched: the oldest document never used
 * at the token endpoint makes room; when every cached document is in use, the new one is refused.
 */
async function makeRoom(c: Context<AppEnv>, now: number): Promise<void> {
  const db = c.env.DB;
  if ((await countMetadataClients(db)) < c.get("config").maxCimdClients) return;
  if (await evictUnusedMetadataClient(db, now - CIMD_EVICT_AFTER)) return;
  throw new OAuthError("temporarily_unavailable", "this server accepts no new applications for now", { reason: "MAX_CIMD_CLIENTS reached" });
}

async function store(c: Context<AppEnv>, clientId: string, fetched: Extract<FetchResult, { ok: true }>, cached: ClientRecord | undefined, now: number): Promise<ClientRecord> {
  const { document } = fetched;
  const record: ClientRecord & { fetchedAt: number; freshUntil: number } = {
    clientId,
    kind: "cimd",
    clientName: document.clientName,
    redirectUris: document.redirectUris,
    grantTypes: document.grantTypes,
    tokenEndpointAuthMethod: "none",
    applicationType: document.applicationType,
    scope: document.scope,
    metadata: document.metadata,
    createdAt: cached?.createdAt ?? now,
    lastUsedAt: cached?.lastUsedAt,
    fetchedAt: now,
    freshUntil: now + fetched.ttl,
  };
  await saveMetadataClient(c.env.DB, record);
  if (!cached) audit(c, { type: "client.registered", clientId, detail: { kind: "cimd" } });
  return record;
}

async function staticRecord(client: StaticClient): Promise<ClientRecord> {
  return {
    clientId: client.clientId,
    kind: "static",
    clientSecretHash: client.clientSecret === undefined ? undefined : await sha256(client.clientSecret),
    clientName: client.clientName,
    redirectUris: client.redirectUris,
    grantTypes: client.grantTypes,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    applicationType: client.applicationType,
    metadata: { client_name: client.clientName, redirect_uris: client.redirectUris },
    createdAt: 0,
    // Declared in configuration: never touched in D1, so it reads as recently used.
    lastUsedAt: Math.floor(Date.now() / 1000),
  };
}
