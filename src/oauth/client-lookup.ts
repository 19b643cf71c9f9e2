// Finds the client behind a client_id: declared in STATIC_CLIENTS, registered in D1, or a Client ID Metadata
// Document URL. Only /authorize fetches a document (on first use, and when its cached copy in D1 is no longer
// fresh); the token, revocation and introspection endpoints accept only what is already stored.
import type { Context } from "hono";
import type { StaticClient } from "../config";
import { sha256 } from "../crypto";
import { type ClientRecord, countMetadataClients, evictUnusedMetadataClient, getClient, saveMetadataClient } from "../db/clients";
import type { AppEnv } from "../env";
import { audit } from "./audit";
import { type FetchResult, fetchDocument } from "./cimd";
import { CIMD_EVICT_AFTER, CIMD_FAILURE_TTL, CIMD_STALE_TTL, isMetadataDocumentUrl } from "./cimd-policy";
import { OAuthError } from "./errors";

/** Failed fetches this isolate remembers, by URL, until the time in milliseconds (oldest first, bounded). */
const failures = new Map<string, number>();
const FAILURES_MAX = 1_000;

/**
 * The client for `clientId` at /authorize: a registered one from D1, or for a metadata document URL the cached
 * document while fresh, else a new fetch (at most one per URL per CIMD_FAILURE_TTL while fetches fail). When the
 * fetch fails, a cached copy younger than 7 days still serves. Anything else is `invalid_client`, whose description
 * says only that the document was refused; what the fetch saw goes to the security log.
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 */
export async function lookupClient(c: Context<AppEnv>, clientId: string): Promise<ClientRecord | undefined> {
  const cached = await knownClient(c, clientId);
  if (!isMetadataDocumentUrl(clientId) || (cached && cached.kind !== "cimd")) return cached;
  const now = Math.floor(Date.now() / 1000);
  if (cached?.freshUntil !== undefined && cached.freshUntil > now) return cached;
  const servesStale = cached?.fetchedAt !== undefined && now - cached.fetchedAt < CIMD_STALE_TTL;
  if (failedRecently(clientId)) {
    if (servesStale) return cached;
    throw refused("a fetch of the document failed within the last minute");
  }
  if (!cached) await makeRoom(c, now);
  const fetched = await fetchDocument(clientId);
  if (fetched.ok) {
    failures.delete(clientId);
    return store(c, clientId, fetched, cached, now);
  }
  rememberFailure(clientId);
  audit(c, { type: "client.metadata_rejected", clientId, detail: { problem: fetched.problem, served_stale: servesStale } });
  if (servesStale) return cached;
  throw refused(fetched.problem);
}

/**
 * The client for `clientId` at the token, revocation and introspection endpoints: static or stored in D1, never
 * fetched. A metadata document is stored by /authorize, which every grant of it went through, so an unknown
 * document URL here is an unknown client, and no attacker-chosen URL is fetched for an unauthenticated request.
 */
export async function knownClient(c: Context<AppEnv>, clientId: string): Promise<ClientRecord | undefined> {
  const declared = c.var.config.staticClients.find((s) => s.clientId === clientId);
  if (declared) return staticRecord(declared);
  return getClient(c.env.DB, clientId);
}

function refused(reason: string): OAuthError {
  return new OAuthError("invalid_client", "the client's metadata document was refused", { reason });
}

function failedRecently(clientId: string): boolean {
  const until = failures.get(clientId);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  failures.delete(clientId);
  return false;
}

function rememberFailure(clientId: string): void {
  failures.delete(clientId);
  failures.set(clientId, Date.now() + CIMD_FAILURE_TTL * 1000);
  if (failures.size > FAILURES_MAX) failures.delete(failures.keys().next().value ?? "");
}

/**
 * Keeps the cache of documents within MAX_CIMD_CLIENTS before a new one is fetched: the oldest document never used
 * at the token endpoint makes room; when every cached document is in use, the new one is refused.
 */
async function makeRoom(c: Context<AppEnv>, now: number): Promise<void> {
  const db = c.env.DB;
  if ((await countMetadataClients(db)) < c.var.config.maxCimdClients) return;
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
