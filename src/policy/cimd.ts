// Client ID Metadata Documents, the pure rules: which client_ids are document URLs, which URLs may be fetched,
// what a document must say, and how long it is cached. No network or storage here (src/oauth/cimd.ts fetches).
import * as z from "zod";
import { parseUrl } from "../lib/url";
import { hostProblem } from "./cimd-address";
import { displayMetadata, requiredClientName } from "./client-metadata";
import { checkRedirectUri } from "./redirect-uri";

/** Largest document read; anything longer is refused. */
export const CIMD_MAX_BYTES = 5 * 1024;
/** Upper bound on the whole fetch. */
export const CIMD_TIMEOUT_MS = 5_000;
/** Cache lifetime bounds, whatever `Cache-Control` says. */
export const CIMD_MIN_TTL = 300;
export const CIMD_MAX_TTL = 86_400;
/** How long a cached document keeps serving while its origin fails. */
export const CIMD_STALE_TTL = 7 * 86_400;
/** Seconds a failed fetch is remembered: requests for that URL meanwhile neither fetch nor record an event. */
export const CIMD_FAILURE_TTL = 60;
/**
 * A cached document never used at the token endpoint may make room for a new one once it is this old (seconds):
 * older than a pending sign-in (10 min) with its code (60 s), so no sign-in under way loses its client.
 */
export const CIMD_EVICT_AFTER = 3600;

/**
 * Whether `clientId` names a metadata document: an https URL with a path, no fragment, no credentials.
 * @see https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/ §3
 */
export function isMetadataDocumentUrl(clientId: string): boolean {
  if (!clientId.startsWith("https://")) return false;
  const url = parseUrl(clientId);
  return url !== undefined && url.pathname !== "/" && url.hash === "" && url.username === "" && url.password === "";
}

/**
 * Why `clientId` may not be fetched, or `undefined` when it may: https only, and never a loopback name or a literal
 * IP address outside the public unicast space (src/policy/cimd-address.ts; a DNS name is resolved by the platform,
 * outside this check).
 */
export function fetchTargetProblem(clientId: string): string | undefined {
  const url = parseUrl(clientId);
  if (!url || url.protocol !== "https:") return "the client_id is not an https URL";
  if (!isMetadataDocumentUrl(clientId)) return "the client_id URL needs a path and no fragment or credentials";
  return hostProblem(url.hostname);
}

const stringList = z.array(z.string().min(1).max(2000)).min(1).max(20);

/** A document's fields; the display fields follow the rules of dynamic registration (src/policy/client-metadata.ts). */
const documentSchema = z.object({
  ...displayMetadata,
  client_id: z.string(),
  client_name: requiredClientName,
  redirect_uris: stringList,
  grant_types: z.array(z.enum(["authorization_code", "refresh_token"])).default(["authorization_code"]),
  response_types: z.array(z.literal("code")).default(["code"]),
  token_endpoint_auth_method: z.literal("none").default("none"),
  application_type: z.enum(["web", "native"]).optional(),
  scope: z.string().max(1024).optional(),
});

/** A document that passed every rule, in the shape D1 `clients` keeps. */
export interface MetadataDocument {
  clientName: string;
  redirectUris: string[];
  grantTypes: string[];
  applicationType: "web" | "native";
  scope?: string;
  metadata: Record<string, unknown>;
}

export type DocumentCheck = { ok: true; document: MetadataDocument } | { ok: false; problem: string };

/**
 * Checks a fetched document: JSON object, `client_id` equal to the URL it came from, a name, redirect URIs that
 * pass the DCR policy, no secret, and public-client authentication only.
 */
export function checkMetadataDocument(url: string, body: string): DocumentCheck {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: "the document is not JSON" };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { ok: false, problem: "the document is not a JSON object" };
  if ("client_secret" in json || "client_secret_expires_at" in json) return { ok: false, problem: "the document carries a client_secret" };
  const parsed = documentSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join(".") || "document"} ${issue?.message ?? "is invalid"}` };
  }
  const doc = parsed.data;
  if (doc.client_id !== url) return { ok: false, problem: "client_id in the document differs from its URL" };
  if (!doc.grant_types.includes("authorization_code")) return { ok: false, problem: "grant_types must include authorization_code" };
  const needsNative = doc.redirect_uris.some((uri) => checkRedirectUri(uri, "web") !== undefined && checkRedirectUri(uri, "native") === undefined);
  const applicationType = doc.application_type ?? (needsNative ? "native" : "web");
  for (const [index, uri] of doc.redirect_uris.entries()) {
    const problem = checkRedirectUri(uri, applicationType);
    if (problem) return { ok: false, problem: `redirect_uris.${index} ${problem}` };
  }
  const redirectUris = [...new Set(doc.redirect_uris)];
  const grantTypes = [...new Set(doc.grant_types)];
  return {
    ok: true,
    document: {
      clientName: doc.client_name,
      redirectUris,
      grantTypes,
      applicationType,
      scope: doc.scope,
      metadata: {
        client_id: url,
        client_name: doc.client_name,
        redirect_uris: redirectUris,
        grant_types: grantTypes,
        token_endpoint_auth_method: "none",
        application_type: applicationType,
        client_uri: doc.client_uri,
        logo_uri: doc.logo_uri,
        tos_uri: doc.tos_uri,
        policy_uri: doc.policy_uri,
      },
    },
  };
}

/**
 * Whether a cached document fetched at `fetchedAt` still serves while a new fetch fails: for up to CIMD_STALE_TTL,
 * unless the origin answered that the document is gone (404 Not Found, 410 Gone), which is its answer, not a failure.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-15.5.11
 */
export function servesStale(fetchedAt: number | undefined, now: number, gone: boolean): boolean {
  return !gone && fetchedAt !== undefined && now - fetchedAt < CIMD_STALE_TTL;
}

/** Seconds to cache a document: `max-age` (or none → the minimum), clamped to [CIMD_MIN_TTL, CIMD_MAX_TTL]. */
export function cacheLifetime(cacheControl: string | null): number {
  const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl ?? "")?.[1];
  const seconds = maxAge === undefined || /no-store|no-cache/i.test(cacheControl ?? "") ? 0 : Number(maxAge);
  return Math.min(CIMD_MAX_TTL, Math.max(CIMD_MIN_TTL, seconds));
}
