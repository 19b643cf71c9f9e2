// POST /register: RFC 7591 Dynamic Client Registration of public and confidential clients, stored in D1 `clients`.
import { Hono } from "hono";
import * as z from "zod";
import type { Config } from "../config";
import { randomSecret, sha256 } from "../crypto";
import { type ClientRecord, clientInsert, registrationState } from "../db/clients";
import type { AppEnv } from "../http/app-env";
import { endpointCors } from "../http/cors";
import { logRequests } from "../http/request-log";
import { NO_STORE, oauthErrors } from "../http/respond";
import { requireConfig } from "../http/require-config";
import { writeWithEvents } from "../http/audit";
import { displayMetadata, displayText, optional } from "../policy/client-metadata";
import { OAuthError } from "../errors";
import { readText } from "../http/params";
import { limitOAuth, sourceKey } from "../http/rate-limit";
import { servedGrantTypes } from "../policy/client-rules";
import { checkRedirectUri } from "../policy/redirect-uri";

/** Largest registration body accepted (413 beyond). */
export const REGISTRATION_LIMIT = 64 * 1024;

const DEFAULT_CLIENT_NAME = "Unnamed client";
/** Seconds in which an identical public registration from the same source returns the same client. */
export const DUPLICATE_REGISTRATION_WINDOW = 86_400;

/**
 * The RFC 7591 §2 fields Gatehouse honours; any other field is dropped (not stored, not echoed), as §2 allows. The
 * display fields follow the rules metadata documents follow too (src/policy/client-metadata.ts).
 * `contacts` are not kept (personal data with no use here); `jwks`, `jwks_uri` and software statements are
 * ignored because only secret-based and public client authentication are supported.
 */
const registrationSchema = z.object({
  redirect_uris: z.array(z.string("must be a string"), "must be an array of strings").min(1, "must not be empty").max(20, "must have at most 20 entries"),
  token_endpoint_auth_method: z.enum(["none", "client_secret_basic", "client_secret_post"], "is not supported (use none, client_secret_basic or client_secret_post)").default("client_secret_basic"),
  grant_types: z.array(z.string("must be a string"), "must be an array of strings").default(["authorization_code"]),
  response_types: z.array(z.string("must be a string"), "must be an array of strings").default(["code"]),
  application_type: z.enum(["web", "native"], "must be web or native").optional(),
  ...displayMetadata,
  scope: optional(z.string("must be a string").transform((value) => [...new Set(value.split(" ").filter(Boolean))])),
  software_id: optional(displayText(200)),
  software_version: optional(displayText(100)),
});

type Registration = z.infer<typeof registrationSchema>;

export const registerRoutes = new Hono<AppEnv>();

registerRoutes.use("/register", oauthErrors, logRequests, requireConfig, endpointCors);

/**
 * Registers a client and answers 201 with its full information; a confidential client's secret is in this
 * response only, and only its SHA-256 hash is stored.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7591#section-3
 */
registerRoutes.post("/register", async (c) => {
  const config = c.get("config");
  const source = sourceKey(c);
  await limitOAuth(c, "RATE_LIMIT_REGISTER", () => source);
  if (!/^application\/json\s*(;|$)/i.test(c.req.header("Content-Type") ?? "")) {
    throw new OAuthError("invalid_client_metadata", "the body must be application/json");
  }
  const registration = parseRegistration(await readText(c, REGISTRATION_LIMIT), config);

  const now = Math.floor(Date.now() / 1000);
  const confidential = registration.token_endpoint_auth_method !== "none";
  const metadata = registeredMetadata(registration);
  // Clients that register on every start would pile up rows: the same public registration from the same source
  // within a day gets the same client back. A confidential client cannot, as its secret exists only in its response.
  const [registrationHash, sourceHash] = await Promise.all([confidential ? undefined : sha256(`${JSON.stringify(metadata)}\n${source}`), sha256(source)]);
  const state = await registrationState(c.env.DB, { registrationHash, since: now - DUPLICATE_REGISTRATION_WINDOW, sourceHash });
  const { existing } = state;
  if (existing) return c.json({ client_id: existing.clientId, client_id_issued_at: existing.createdAt, ...existing.metadata }, 201, NO_STORE);
  // One source (an IPv6 /64 holds 2^64 addresses) must not fill the table for everyone. Only registrations it has not
  // used for a token count, so a shared network whose people finish signing in is not held back by its neighbours.
  if (state.unusedFromSource >= config.maxDcrClientsPerSource) {
    throw new OAuthError("temporarily_unavailable", "too many unused registrations from this network: sign in with one of them, or retry later", {
      status: 429,
      reason: "MAX_DCR_CLIENTS_PER_SOURCE reached",
    });
  }
  if (state.dynamicClients >= config.maxDcrClients) {
    throw new OAuthError("temporarily_unavailable", "registration is closed for now: too many registered clients", { reason: "MAX_DCR_CLIENTS reached" });
  }
  const clientId = randomSecret(16);
  const clientSecret = confidential ? randomSecret(32) : undefined;
  const record: ClientRecord = {
    clientId,
    kind: "dcr",
    clientSecretHash: clientSecret === undefined ? undefined : await sha256(clientSecret),
    clientName: metadata.client_name,
    redirectUris: metadata.redirect_uris,
    grantTypes: metadata.grant_types,
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
    applicationType: metadata.application_type,
    scope: metadata.scope,
    metadata,
    createdAt: now,
  };
  await writeWithEvents(c, [clientInsert(c.env.DB, record, registrationHash, sourceHash)], [
    { type: "client.registered", clientId, detail: { token_endpoint_auth_method: record.tokenEndpointAuthMethod, application_type: record.applicationType } },
  ]);

  const secretFields = clientSecret === undefined ? {} : { client_secret: clientSecret, client_secret_expires_at: 0 };
  return c.json({ client_id: clientId, client_id_issued_at: now, ...secretFields, ...metadata }, 201, NO_STORE);
});

/** Parses and checks a registration body; every failure is the RFC 7591 §3.2.2 error naming the field. */
function parseRegistration(body: string, config: Config): Registration & { application_type: "web" | "native" } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new OAuthError("invalid_client_metadata", "the body is not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new OAuthError("invalid_client_metadata", "the body must be a JSON object");
  }
  const result = registrationSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "body";
    const code = issue?.path[0] === "redirect_uris" ? "invalid_redirect_uri" : "invalid_client_metadata";
    throw new OAuthError(code, `${field} ${issue?.message ?? "is invalid"}`);
  }
  const registration = result.data;

  // Cursor and other native MCP clients omit application_type; their private-use scheme says what they are.
  const needsNative = registration.redirect_uris.some((uri) => checkRedirectUri(uri, "web") !== undefined && checkRedirectUri(uri, "native") === undefined);
  const applicationType = registration.application_type ?? (needsNative ? "native" : "web");
  registration.redirect_uris.forEach((uri, index) => {
    const problem = checkRedirectUri(uri, applicationType);
    if (problem) throw new OAuthError("invalid_redirect_uri", `redirect_uris.${index} ${problem}`);
  });

  const grantTypes = new Set(registration.grant_types);
  for (const grantType of grantTypes) {
    if (grantType !== "authorization_code" && grantType !== "refresh_token") {
      throw new OAuthError("invalid_client_metadata", `grant_types ${grantType.slice(0, 64)} is not supported`);
    }
  }
  // RFC 7591 §2.1: the code response type and the authorization_code grant go together.
  if (!grantTypes.has("authorization_code")) throw new OAuthError("invalid_client_metadata", "grant_types must include authorization_code");
  const responseTypes = new Set(registration.response_types);
  if (responseTypes.size !== 1 || !responseTypes.has("code")) throw new OAuthError("invalid_client_metadata", 'response_types must be ["code"]');

  const allowedScopes = new Set([...config.scopes, "offline_access"]);
  const unknownScope = registration.scope?.find((scope) => !allowedScopes.has(scope));
  if (unknownScope !== undefined) throw new OAuthError("invalid_client_metadata", `scope ${unknownScope.slice(0, 64)} is not supported`);
  return { ...registration, application_type: applicationType };
}

/**
 * The metadata as registered, in RFC 7591 §2 names, normalised (duplicates dropped, defaults filled in).
 * Unset optional fields are `undefined`, which JSON leaves out of both the stored metadata and the response.
 */
function registeredMetadata(registration: Registration & { application_type: "web" | "native" }) {
  return {
    client_name: registration.client_name || DEFAULT_CLIENT_NAME,
    redirect_uris: [...new Set(registration.redirect_uris)],
    // What is served, not only what was asked for: authorization_code implies refresh_token (src/policy/client-rules.ts).
    grant_types: servedGrantTypes({ kind: "dcr", clientId: "", grantTypes: [...new Set(registration.grant_types)] }),
    response_types: ["code"],
    token_endpoint_auth_method: registration.token_endpoint_auth_method,
    application_type: registration.application_type,
    scope: registration.scope?.length ? registration.scope.join(" ") : undefined,
    client_uri: registration.client_uri,
    logo_uri: registration.logo_uri,
    tos_uri: registration.tos_uri,
    policy_uri: registration.policy_uri,
    software_id: registration.software_id || undefined,
    software_version: registration.software_version || undefined,
  };
}
