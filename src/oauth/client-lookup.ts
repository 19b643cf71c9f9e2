// Finds the client behind a client_id: declared in STATIC_CLIENTS, registered in D1, or a Client ID Metadata
// Document URL, fetched on first use and whenever its cached copy in D1 is no longer fresh.
import type { Context } from "hono";
import type { StaticClient } from "../config";
import { sha256 } from "../crypto";
import { type ClientRecord, getClient, saveMetadataClient } from "../db/clients";
import type { AppEnv } from "../env";
import { audit } from "./audit";
import { fetchDocument } from "./cimd";
import { CIMD_STALE_TTL, isMetadataDocumentUrl } from "./cimd-policy";
import { OAuthError } from "./errors";

/**
 * The client for `clientId`: a registered one from D1, or for a metadata document URL the cached document while
 * fresh, else a new fetch; when the fetch fails, a cached copy younger than 7 days still serves. Anything else is
 * `invalid_client`, with the reason in the security log.
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/
 */
export async function lookupClient(c: Context<AppEnv>, clientId: string): Promise<ClientRecord | undefined> {
  const declared = c.var.config.staticClients.find((s) => s.clientId === clientId);
  if (declared) return staticRecord(declared);
  if (!isMetadataDocumentUrl(clientId)) return getClient(c.env.DB, clientId);
  const now = Math.floor(Date.now() / 1000);
  const cached = await getClient(c.env.DB, clientId);
  if (cached && cached.kind !== "cimd") return cached;
  if (cached?.freshUntil !== undefined && cached.freshUntil > now) return cached;
  const fetched = await fetchDocument(clientId);
  if (!fetched.ok) {
    const stale = cached?.fetchedAt !== undefined && now - cached.fetchedAt < CIMD_STALE_TTL;
    audit(c, { type: "client.metadata_rejected", clientId, detail: { problem: fetched.problem, served_stale: stale } });
    if (stale) return cached;
    throw new OAuthError("invalid_client", `the client metadata document could not be used: ${fetched.problem}`, { reason: fetched.problem });
  }
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
